"""SMSAPI, GatewayAPI and BulkSMS over real HTTP, against the stand-in.

What a user would notice: SMSAPI's points and BulkSMS's credits shown as
such (never money, never a limit), GatewayAPI's credit in its currency; and
every refusal as the error that says what to do (a new token, the IP
allow-list, a postpaid account, a frozen account), never as a number.
"""

from __future__ import annotations

from decimal import Decimal

import aiohttp
import pytest

from custom_components.sms_credit.providers import (
    PROVIDERS,
    AccessDeniedError,
    AuthenticationError,
    Balance,
    IpNotAllowedError,
    MalformedResponseError,
    PostpaidError,
    ProviderClient,
    ProviderError,
    ProviderServerError,
)
from tests.providers.helpers import fixture_bytes
from tests.providers.test_providers_beyond import DEMO, basic, fetch
from tests.standin import Account, StandinProvider


@pytest.mark.parametrize(
    ("key", "name", "status", "expected"),
    [
        ("smsapi", "profile.json", 200, Balance(Decimal(0))),
        ("smsapi", "error_101.json", 200, AuthenticationError),
        ("smsapi", "error_101.json", 401, AuthenticationError),
        ("smsapi", "error_105.json", 200, IpNotAllowedError),
        ("smsapi", "error_105.json", 403, IpNotAllowedError),
        ("smsapi", "error_110.json", 200, AccessDeniedError),
        ("smsapi", "error_110.json", 403, AccessDeniedError),
        ("smsapi", "error_invalid_request_data.json", 400, ProviderServerError),
        ("gatewayapi", "me.json", 200, Balance(Decimal("1234.56"), "DKK")),
        ("gatewayapi", "error_0x0229.json", 401, AuthenticationError),
        ("gatewayapi", "error_0x0212.json", 401, IpNotAllowedError),
        ("gatewayapi", "error_0x0213.json", 403, IpNotAllowedError),
        ("gatewayapi", "error_0x022A.json", 403, ProviderServerError),
        ("bulksms", "profile.json", 200, Balance(Decimal("250.5"))),
        (
            "bulksms",
            "error_403_insufficient_credits.json",
            403,
            ProviderServerError,
        ),
    ],
)
async def test_documented_answers(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    key: str,
    name: str,
    status: int,
    expected: Balance | type[ProviderError],
) -> None:
    """Every documented sample body, as sent over HTTP, reads as it should."""
    standin.respond_next(status, fixture_bytes(key, name))
    outcome = await fetch(session, standin, key)
    if isinstance(expected, Balance):
        assert outcome == expected
    else:
        assert type(outcome) is expected


@pytest.mark.parametrize(
    ("key", "body"),
    [
        ("smsapi", b'{"payment_type": "prepaid", "points": ["1"]}'),
        ("smsapi", b'{"payment_type": "prepaid", "points": "1,5"}'),
        ("smsapi", b'{"payment_type": "prepaid"}'),
        ("gatewayapi", b'{"credit": "ten", "currency": "DKK"}'),
        ("gatewayapi", b'{"credit": 12.5, "currency": "XXX"}'),
        ("gatewayapi", b'{"credit": 12.5}'),
        ("bulksms", b'{"credits": {"balance": "250.5", "limit": 0}}'),
        ("bulksms", b'{"credits": {"limit": 500}}'),
        ("bulksms", b'{"credits": 250.5}'),
        ("bulksms", b'{"balance": 250.5}'),
    ],
)
async def test_answers_that_cannot_be_right(
    session: aiohttp.ClientSession, standin: StandinProvider, key: str, body: bytes
) -> None:
    """Wrong types, missing fields, an unknown currency: refused, never shown."""
    standin.respond_next(200, body)
    assert type(await fetch(session, standin, key)) is MalformedResponseError


# SMSAPI


@pytest.mark.parametrize("points", ['"0.3000"', "0.3"])
async def test_smsapi_points_as_number_or_text(
    session: aiohttp.ClientSession, standin: StandinProvider, points: str
) -> None:
    """Points come as a number or a numeric string: the same points, no currency."""
    standin.respond_next(200, f'{{"payment_type": "prepaid", "points": {points}}}')
    assert await fetch(session, standin, "smsapi") == Balance(Decimal("0.3"))
    assert PROVIDERS["smsapi"].unit == "points"


@pytest.mark.parametrize(
    ("payment", "error"),
    [
        ('"postpaid"', PostpaidError),
        ('"Postpaid"', PostpaidError),
        ('"trial"', MalformedResponseError),
        ("null", MalformedResponseError),
    ],
)
async def test_smsapi_only_prepaid_points_are_a_credit(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    payment: str,
    error: type[ProviderError],
) -> None:
    """A postpaid account is said to be one; an unknown payment type is no credit."""
    body = f'{{"payment_type": {payment}, "points": 250}}'
    standin.respond_next(200, body)
    outcome = await fetch(session, standin, "smsapi")
    assert type(outcome) is error
    if isinstance(outcome, PostpaidError):
        assert outcome.field == "oauth_token"


AUTH, SERVER = AuthenticationError, ProviderServerError


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        # A refusal beside points is a refusal, even on HTTP 200.
        (200, '{"error": 101, "points": 5, "payment_type": "prepaid"}', AUTH),
        (200, '{"error": 102, "message": "Invalid username or password"}', AUTH),
        # Codes other than the credentials', the IP's and the permission's:
        # the provider's error (no new token asked for).
        (200, '{"error": 103, "message": "Insufficient credits"}', SERVER),
        (401, '{"error": 1000, "message": "Main user only"}', SERVER),
        (500, '{"error": 8, "message": "Error in request"}', SERVER),
        # A textual error (the newer REST errors) follows the HTTP status.
        (401, '{"error": "invalid_token", "message": "Authorization failed"}', AUTH),
        (403, '{"error": "forbidden", "message": "No access"}', AccessDeniedError),
        (200, '{"error": "invalid_request_data"}', SERVER),
    ],
)
async def test_smsapi_error_codes(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    status: int,
    body: str,
    error: type[ProviderError],
) -> None:
    """Each ``error`` is read whatever the HTTP status, and never as points."""
    standin.respond_next(status, body)
    assert type(await fetch(session, standin, "smsapi")) is error


async def test_smsapi_error_zero_is_no_error(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """``"error": 0`` beside the points is a success (the SDK's reading)."""
    body = '{"error": 0, "payment_type": "prepaid", "points": "12.5"}'
    standin.respond_next(200, body)
    assert await fetch(session, standin, "smsapi") == Balance(Decimal("12.5"))


async def test_smsapi_ip_filter(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """Error 105: the IP-filter repair, not a rejected token; then the points."""
    account = standin.accounts["smsapi"]["demo"]
    account.allowed_ips = ["192.0.2.1"]
    assert isinstance(await fetch(session, standin, "smsapi"), IpNotAllowedError)
    assert standin.log[-1].outcome == "not_allowed"
    account.allowed_ips = None
    assert await fetch(session, standin, "smsapi") == Balance(Decimal("100.50"))


def test_smsapi_sites() -> None:
    """The Polish API falls back on its documented backup; the international has none.

    The token page linked is the account's own panel's: smsapi.pl or
    smsapi.com.
    """
    spec = PROVIDERS["smsapi"]
    assert spec.backups("https://api.smsapi.pl") == ("https://api2.smsapi.pl",)
    assert spec.backups("https://api.smsapi.com") == ()
    assert spec.control_panel("https://api.smsapi.pl") == (
        "https://ssl.smsapi.pl/react/oauth/manage"
    )
    assert spec.control_panel("https://api.smsapi.com") == (
        "https://ssl.smsapi.com/react/oauth/manage"
    )


# GatewayAPI


async def test_gatewayapi_credit_as_text(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """A credit sent as a decimal string (a third-party report) is the same money."""
    standin.respond_next(200, '{"credit": "2.00000", "currency": "eur", "id": 1}')
    assert await fetch(session, standin, "gatewayapi") == Balance(
        Decimal("2.00000"), "EUR"
    )


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (401, "0x0210", AuthenticationError),
        (401, "0x0211", AuthenticationError),
        (401, "0X0229", AuthenticationError),
        (403, "0x0213", IpNotAllowedError),
        (403, "0x022a", ProviderServerError),
        (403, "0x0207", AccessDeniedError),
        (403, "0x0216", ProviderServerError),  # out of credit: no reauth
        (500, "0x0201", ProviderServerError),
    ],
)
async def test_gatewayapi_codes_decide(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    status: int,
    code: str,
    error: type[ProviderError],
) -> None:
    """Codes in any case; an undocumented one follows the HTTP status."""
    standin.respond_next(status, f'{{"code": "{code}", "message": "x"}}')
    assert type(await fetch(session, standin, "gatewayapi")) is error


async def test_gatewayapi_frozen_account_says_so(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """A frozen account is no credentials problem: GatewayAPI's words say what."""
    standin.respond_next(403, fixture_bytes("gatewayapi", "error_0x022A.json"))
    error = await fetch(session, standin, "gatewayapi")
    assert isinstance(error, ProviderServerError)
    assert "frozen" in str(error)


async def test_gatewayapi_ip_not_allowed(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """0x0213: the allow-list repair; the key is not blamed."""
    account = standin.accounts["gatewayapi"]["demo"]
    account.allowed_ips = ["192.0.2.1"]
    assert isinstance(await fetch(session, standin, "gatewayapi"), IpNotAllowedError)
    account.allowed_ips = None
    assert await fetch(session, standin, "gatewayapi") == Balance(
        Decimal("100.5"), "DKK"
    )


async def test_gatewayapi_token_never_in_the_url(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """The token travels as the Basic user name, with an empty password."""
    await fetch(session, standin, "gatewayapi")
    (seen,) = standin.seen
    assert "demo-gatewayapi-token" not in seen.path
    assert seen.query == {}
    assert seen.headers["Authorization"] == basic("demo-gatewayapi-token", "")


async def test_gatewayapi_a_token_that_cannot_be_a_user_name(
    session: aiohttp.ClientSession,
) -> None:
    """A ``:`` would split the Basic credentials: refused before sending."""
    method, credentials = DEMO["gatewayapi"]
    with pytest.raises(ValueError, match=":"):
        ProviderClient(
            session,
            PROVIDERS["gatewayapi"],
            host="https://example.invalid",
            auth_method=method,
            credentials={**credentials, "api_token": "abc:def"},
        )


# BulkSMS


async def test_bulksms_api_token(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """An API token (its id and secret, as Basic auth) reads the credits."""
    standin.accounts["bulksms"]["TOKEN-ID-01"] = Account("token-secret", balance="7.25")
    token = {"token_id": "TOKEN-ID-01", "token_secret": "token-secret"}
    balance = await fetch(
        session, standin, "bulksms", method="api_token", credentials=token
    )
    assert balance == Balance(Decimal("7.25"))
    assert standin.seen[-1].headers["Authorization"] == basic(
        "TOKEN-ID-01", "token-secret"
    )
    wrong = {**token, "token_secret": "other"}
    error = await fetch(
        session, standin, "bulksms", method="api_token", credentials=wrong
    )
    assert type(error) is AuthenticationError


async def test_bulksms_limit_is_not_a_credit_limit(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """``credits.limit`` (its meaning unverified) is never shown as a credit limit."""
    body = '{"credits": {"balance": 12.0, "isTransferAllowed": true, "limit": 500}}'
    standin.respond_next(200, body)
    balance = await fetch(session, standin, "bulksms")
    assert balance == Balance(Decimal("12.0"))
    assert isinstance(balance, Balance)
    assert balance.credit_limit is None


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, "", AUTH),
        (401, '{"type": "x", "title": "Unauthorized", "status": 401}', AUTH),
        (403, '{"type": "x", "title": "Forbidden", "status": 403}', AccessDeniedError),
        (404, '{"type": "x", "title": "Not Found", "status": 404}', SERVER),
    ],
)
async def test_bulksms_statuses(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    status: int,
    body: str,
    error: type[ProviderError],
) -> None:
    """401 asks for new credentials; a 403 that is no credit problem, access."""
    standin.respond_next(status, body)
    outcome = await fetch(session, standin, "bulksms")
    assert type(outcome) is error
    if isinstance(outcome, AccessDeniedError):
        assert outcome.field is None  # either login: the form says it on the whole
