"""Twilio, ClickSend, Vonage, seven.io, Telnyx and 46elks over real HTTP.

Each runs against the stand-in, which plays it as its documents say (paths,
login, bodies, error codes, 429s), and is fed each documented sample body
(``tests/fixtures/<provider>/``, sources in their READMEs). What a user
would notice: the right amount in the right currency or unit, and each
refusal as the error that tells them what to do.
"""

from __future__ import annotations

import base64
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
    NoBalanceError,
    ProviderClient,
    ProviderError,
    ProviderServerError,
    RateLimitedError,
)
from tests.providers.helpers import fixture_bytes
from tests.standin import DEMO_ACCOUNTS, EMULATIONS, StandinProvider

TWILIO_SID = "AC0123456789abcdef0123456789abcdef"

# The README's demo credentials: login method and what the form stores.
DEMO: dict[str, tuple[str, dict[str, str]]] = {
    "twilio": (
        "auth_token",
        {"account_sid": TWILIO_SID, "auth_token": "demo-auth-token"},
    ),
    "clicksend": ("api_key", {"api_username": "demo", "api_key": "demo-clicksend-key"}),
    "vonage": ("api_key", {"api_key": "demo", "api_secret": "demo-vonage-secret"}),
    "seven": ("api_key", {"username": "My seven.io", "api_key": "demo-seven-key"}),
    "telnyx": ("api_key", {"username": "My Telnyx", "api_key": "KEY_demo"}),
    "elks46": (
        "password",
        {"api_username": "demo", "api_password": "demo-elks-password"},
    ),
    "clickatell": (
        "api_key",
        {"username": "My Clickatell", "api_key": "demo-clickatell-key"},
    ),
    "plivo": (
        "auth_token",
        {"auth_id": "MADEMO0123456789ABCD", "auth_token": "demo-plivo-token"},
    ),
    "infobip": ("api_key", {"username": "My Infobip", "api_key": "demo-infobip-key"}),
    "textmagic": ("api_key", {"username": "demo", "api_key": "demo-textmagic-key"}),
    "smsapi": (
        "oauth_token",
        {"username": "My SMSAPI", "oauth_token": "demo-smsapi-token"},
    ),
    "gatewayapi": (
        "api_token",
        {"username": "My GatewayAPI", "api_token": "demo-gatewayapi-token"},
    ),
    "bulksms": ("password", {"username": "demo", "password": "demo-bulksms-password"}),
    "brevo": ("api_key", {"username": "My Brevo", "api_key": "demo-brevo-key"}),
    "smsto": ("api_key", {"username": "My SMS.to", "api_key": "demo-smsto-key"}),
    "mobizon": ("api_key", {"username": "My Mobizon", "api_key": "demo-mobizon-key"}),
}
# The demo account's login at the stand-in (a key alone names "demo").
LOGIN = {
    "twilio": TWILIO_SID,
    "clicksend": "demo",
    "vonage": "demo",
    "seven": "demo",
    "telnyx": "demo",
    "elks46": "demo",
    "clickatell": "demo",
    "plivo": "MADEMO0123456789ABCD",
    "infobip": "demo",
    "textmagic": "demo",
    "smsapi": "demo",
    "gatewayapi": "demo",
    "bulksms": "demo",
    "brevo": "demo",
    "smsto": "demo",
    "mobizon": "demo",
}
# What the demo account shows: its balance in its currency (Vonage: EUR by
# declaration), and Telnyx's credit limit.
SHOWN = {
    "twilio": Balance(Decimal("100.50"), "USD"),
    "clicksend": Balance(Decimal("100.50"), "AUD"),
    "vonage": Balance(Decimal("100.5"), "EUR"),
    "seven": Balance(Decimal("100.5"), "EUR"),
    "telnyx": Balance(Decimal("100.50"), "USD", Decimal("100.00")),
    "elks46": Balance(Decimal("100.5"), "SEK"),
    "clickatell": Balance(Decimal("100.5"), "ZAR"),
    "plivo": Balance(Decimal("100.50000"), "USD"),
    "infobip": Balance(Decimal("100.5"), "EUR"),
    "textmagic": Balance(Decimal("100.5"), "USD"),
    "smsapi": Balance(Decimal("100.50")),  # points: no currency
    "gatewayapi": Balance(Decimal("100.5"), "DKK"),
    "bulksms": Balance(Decimal("100.5")),  # credits: no currency
    "brevo": Balance(Decimal("100.5")),  # SMS credits: no currency
    "smsto": Balance(Decimal("100.5"), "EUR"),
    "mobizon": Balance(Decimal("100.5000"), "KZT"),
}


# Providers whose refusal of a key is also their refusal of an IP address.
AMBIGUOUS = {"clickatell", "infobip", "mobizon"}
# Providers whose 429 says its wait in a header of its own (seconds).
RESET = {"telnyx": 30.0, "brevo": 1200.0}


def basic(user: str, password: str) -> str:
    """An HTTP Basic ``Authorization`` value."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# What each request carries, as the provider documents it: its path, and
# the header that logs in (never the query string).
SENT = {
    "twilio": (
        f"/2010-04-01/Accounts/{TWILIO_SID}/Balance.json",
        "Authorization",
        basic(TWILIO_SID, "demo-auth-token"),
    ),
    "clicksend": (
        "/v3/account",
        "Authorization",
        basic("demo", "demo-clicksend-key"),
    ),
    "vonage": (
        "/account/get-balance",
        "Authorization",
        basic("demo", "demo-vonage-secret"),
    ),
    "seven": ("/api/balance", "X-Api-Key", "demo-seven-key"),
    "telnyx": ("/v2/balance", "Authorization", "Bearer KEY_demo"),
    "elks46": ("/a1/me", "Authorization", basic("demo", "demo-elks-password")),
    "clickatell": ("/public-client/balance", "Authorization", "demo-clickatell-key"),
    "plivo": (
        "/v1/Account/MADEMO0123456789ABCD/",
        "Authorization",
        basic("MADEMO0123456789ABCD", "demo-plivo-token"),
    ),
    "infobip": ("/account/1/balance", "Authorization", "App demo-infobip-key"),
    "textmagic": ("/api/v2/user", "X-TM-Key", "demo-textmagic-key"),
    "smsapi": ("/profile", "Authorization", "Bearer demo-smsapi-token"),
    "gatewayapi": ("/rest/me", "Authorization", basic("demo-gatewayapi-token", "")),
    "bulksms": (
        "/v1/profile",
        "Authorization",
        basic("demo", "demo-bulksms-password"),
    ),
    "brevo": ("/v3/account", "api-key", "demo-brevo-key"),
    "smsto": ("/api/balance", "Authorization", "Bearer demo-smsto-key"),
    # Mobizon's key goes in the query (QUERY), as its documents say.
    "mobizon": ("/service/user/getownbalance", "Accept", "application/json"),
}
# What a provider that logs in by the query string sends there.
QUERY = {
    "mobizon": {"output": "json", "api": "v1", "apiKey": "demo-mobizon-key"},
}


def test_every_new_provider_is_played() -> None:
    """The stand-in plays each of them, with a demo account."""
    assert set(EMULATIONS) == set(DEMO) == set(DEMO_ACCOUNTS)
    assert set(DEMO) <= set(PROVIDERS)


async def fetch(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    key: str,
    *,
    method: str | None = None,
    credentials: dict[str, str] | None = None,
) -> Balance | ProviderError:
    """Ask the stand-in for a balance as the integration does."""
    demo_method, demo_credentials = DEMO[key]
    client = ProviderClient(
        session,
        PROVIDERS[key],
        host=standin.url,
        auth_method=method or demo_method,
        credentials=credentials or demo_credentials,
        timeout=5,
    )
    try:
        return await client.async_get_balance()
    except ProviderError as err:
        return err


@pytest.mark.parametrize("key", list(DEMO))
async def test_demo_account(
    session: aiohttp.ClientSession, standin: StandinProvider, key: str
) -> None:
    """The demo credentials read the demo balance, exactly (never via a float)."""
    balance = await fetch(session, standin, key)
    assert balance == SHOWN[key]
    assert [(e.provider, e.outcome) for e in standin.log] == [(key, "ok")]
    assert standin.log[0].login == LOGIN[key]
    (seen,) = standin.seen
    path, name, value = SENT[key]
    assert (seen.method, seen.path) == ("GET", path)
    assert (seen.query, seen.form) == (QUERY.get(key, {}), {})
    assert seen.headers[name] == value
    assert seen.headers["Accept"] == "application/json"


@pytest.mark.parametrize("key", list(DEMO))
async def test_amounts_follow_the_account(
    session: aiohttp.ClientSession, standin: StandinProvider, key: str
) -> None:
    """A change at the provider is what the next check shows (even negative)."""
    account = standin.accounts[key][LOGIN[key]]
    account.balance, account.currency = "-3.75", "GBP"
    balance = await fetch(session, standin, key)
    assert isinstance(balance, Balance)
    assert balance.amount == Decimal("-3.75")
    spec = PROVIDERS[key]
    assert balance.currency == (spec.currency or ("" if spec.unit else "GBP"))


@pytest.mark.parametrize("key", list(DEMO))
async def test_wrong_secret_is_a_rejected_login(
    session: aiohttp.ClientSession, standin: StandinProvider, key: str
) -> None:
    """A wrong password, token or key asks for new credentials (reauth)."""
    method, credentials = DEMO[key]
    secret = next(f.key for f in PROVIDERS[key].auth_method(method).fields if f.secret)
    wrong = {**credentials, secret: "not-the-secret"}
    error = await fetch(session, standin, key, credentials=wrong)
    assert type(error) is AuthenticationError
    # Where the same answer may mean an IP off the allow-list, it says both.
    assert error.ip_maybe_not_allowed == (key in AMBIGUOUS)
    assert standin.log[-1].outcome == "rejected"


@pytest.mark.parametrize(
    ("key", "field"),
    [
        ("twilio", "api_key_sid"),
        ("clicksend", None),
        ("vonage", None),
        ("seven", "api_key"),
        ("telnyx", "api_key"),
        ("elks46", None),
        ("brevo", "api_key"),
        ("smsto", None),
        ("mobizon", "api_key"),
        ("smsapi", "oauth_token"),
        ("gatewayapi", "api_token"),
        ("bulksms", None),
        ("clickatell", None),
        ("plivo", None),
        ("infobip", "api_key"),
        ("textmagic", None),
    ],
)
async def test_a_key_without_the_permission(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    key: str,
    field: str | None,
) -> None:
    """Accepted credentials that may not read the balance: their own message."""
    standin.accounts[key][LOGIN[key]].denied = True
    error = await fetch(session, standin, key)
    assert isinstance(error, AccessDeniedError)
    assert error.field == field
    assert standin.log[-1].outcome == "denied"


async def test_twilio_api_key(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """A Twilio API key (its SID and secret) reads the account's balance."""
    credentials = {
        "account_sid": TWILIO_SID,
        "api_key_sid": "SK0123456789abcdef0123456789abcdef",
        "api_key_secret": "demo-key-secret",
    }
    balance = await fetch(
        session, standin, "twilio", method="api_key", credentials=credentials
    )
    assert balance == SHOWN["twilio"]
    wrong = {**credentials, "api_key_secret": "other"}
    error = await fetch(session, standin, "twilio", method="api_key", credentials=wrong)
    assert type(error) is AuthenticationError


async def test_twilio_sub_account(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """A sub-account has no balance: said of the Account SID, never a number."""
    standin.accounts["twilio"][TWILIO_SID].sub_account = True
    error = await fetch(session, standin, "twilio")
    assert isinstance(error, NoBalanceError)
    assert error.field == "account_sid"
    # The same when the answer is a 200 without a balance.
    # The same when the answer is a 200 whose balance is null (the schema).
    standin.respond_next(200, '{"balance": null, "currency": "USD"}')
    assert isinstance(await fetch(session, standin, "twilio"), NoBalanceError)


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, "{}", MalformedResponseError),
        (404, "<html>Not Found</html>", ProviderServerError),
        (404, "{}", ProviderServerError),
    ],
)
async def test_twilio_what_is_not_a_sub_account(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    status: int,
    body: str,
    error: type[ProviderError],
) -> None:
    """A wrong server or a proxy is never taken for a sub-account."""
    standin.respond_next(status, body)
    assert type(await fetch(session, standin, "twilio")) is error


@pytest.mark.parametrize("key", ["twilio", "telnyx"])
async def test_a_malformed_account_is_refused_before_sending(
    session: aiohttp.ClientSession, key: str
) -> None:
    """An Account SID that could leave the path, or a blank key, is never sent."""
    method, credentials = DEMO[key]
    bad = {**credentials, "account_sid": "AC1/../x"} if key == "twilio" else credentials
    if key == "telnyx":
        bad = {**credentials, "api_key": "   "}
    with pytest.raises(ValueError, match=r"account_sid|api_key"):
        ProviderClient(
            session,
            PROVIDERS[key],
            host="https://example.invalid",
            auth_method=method,
            credentials=bad,
        )


async def test_seven_ip_not_on_the_allow_list(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """seven.io's code 903: the IP-allow-list repair, not a rejected key."""
    standin.accounts["seven"]["demo"].allowed_ips = ["192.0.2.1"]
    assert isinstance(await fetch(session, standin, "seven"), IpNotAllowedError)
    assert standin.log[-1].outcome == "not_allowed"
    standin.accounts["seven"]["demo"].allowed_ips = None
    assert await fetch(session, standin, "seven") == SHOWN["seven"]


@pytest.mark.parametrize("key", list(DEMO))
async def test_the_providers_own_rate_limit(
    session: aiohttp.ClientSession, standin: StandinProvider, key: str
) -> None:
    """Past its limit each answers its 429: a wait (Telnyx's own reset header)."""
    standin.max_per_minute[key] = 1
    assert await fetch(session, standin, key) == SHOWN[key]
    error = await fetch(session, standin, key)
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == RESET.get(key, 60.0)
    assert standin.log[-1].outcome == "rate_limited"


@pytest.mark.parametrize("key", list(DEMO))
@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"Retry-After": "120"}, 120.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),
        ({}, 60.0),
    ],
)
async def test_429_with_and_without_retry_after(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    key: str,
    headers: dict[str, str],
    wait: float,
) -> None:
    """A 429 waits as long as ``Retry-After`` says, else a minute."""
    standin.respond_next(429, "", headers=headers)
    error = await fetch(session, standin, key)
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == wait


@pytest.mark.parametrize("key", list(DEMO))
@pytest.mark.parametrize("status", [500, 502, 503])
async def test_server_errors(
    session: aiohttp.ClientSession, standin: StandinProvider, key: str, status: int
) -> None:
    """A provider's failure is its own error: entities unavailable, no reauth."""
    standin.respond_next(status, "<html>Service Unavailable</html>")
    assert isinstance(await fetch(session, standin, key), ProviderServerError)


@pytest.mark.parametrize(
    ("key", "name", "status", "expected"),
    [
        ("twilio", "balance.json", 200, Balance(Decimal("12.29"), "USD")),
        ("twilio", "error_401.json", 401, AuthenticationError),
        ("twilio", "error_429.json", 429, RateLimitedError),
        ("twilio", "error_70051.json", 403, AccessDeniedError),
        ("twilio", "error_70051.json", 401, AccessDeniedError),
        ("twilio", "error_404.json", 404, NoBalanceError),
        ("clicksend", "account.json", 200, Balance(Decimal("4.998000"), "AUD")),
        ("clicksend", "error_401.json", 401, AuthenticationError),
        ("clicksend", "error_403.json", 403, AccessDeniedError),
        ("clicksend", "error_429.json", 429, RateLimitedError),
        ("clicksend", "error_invalid_credentials.json", 200, AuthenticationError),
        ("vonage", "balance.json", 200, Balance(Decimal("10.28"), "EUR")),
        ("vonage", "balance_sdk.json", 200, Balance(Decimal("29.182023"), "EUR")),
        ("vonage", "error_401.json", 401, AuthenticationError),
        ("vonage", "error_401_rfc7807.json", 401, AuthenticationError),
        ("seven", "balance.json", 200, Balance(Decimal("12.34"), "EUR")),
        ("seven", "error_900.txt", 200, AuthenticationError),
        ("seven", "error_900.txt", 401, AuthenticationError),
        ("seven", "error_902.txt", 200, AccessDeniedError),
        ("seven", "error_903.txt", 200, IpNotAllowedError),
        ("seven", "error_903.txt", 403, IpNotAllowedError),
        (
            "telnyx",
            "balance.json",
            200,
            Balance(Decimal("300.00"), "USD", Decimal("100.00")),
        ),
        ("telnyx", "error_401.json", 401, AuthenticationError),
        ("telnyx", "error_403.json", 403, AccessDeniedError),
        ("telnyx", "error_429.json", 429, RateLimitedError),
        ("elks46", "me.json", 200, Balance(Decimal("967.05"), "SEK")),
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
    ("key", "body", "error"),
    [
        ("seven", b"12.34", MalformedResponseError),  # the old API's bare text
        ("seven", b"901", ProviderServerError),
        ("twilio", b'{"balance": "12.29"}', MalformedResponseError),
        (
            "elks46",
            b'{"balance": 9670500.5, "currency": "SEK"}',
            MalformedResponseError,
        ),
        (
            "elks46",
            b'{"balance": "9670500", "currency": "SEK"}',
            MalformedResponseError,
        ),
        (
            "clicksend",
            b'{"response_code": "SUCCESS", "data": []}',
            MalformedResponseError,
        ),
        (
            "clicksend",
            b'{"response_code": "ACCOUNT_NOT_ACTIVATED"}',
            ProviderServerError,
        ),
        ("telnyx", b'{"data": "300.00"}', MalformedResponseError),
        (
            "telnyx",
            b'{"data": {"balance": "1", "currency": "XXX"}}',
            MalformedResponseError,
        ),
        ("vonage", b'{"value": "ten"}', MalformedResponseError),
    ],
)
async def test_answers_that_cannot_be_right(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    key: str,
    body: bytes,
    error: type[ProviderError],
) -> None:
    """What is not a documented balance is never shown as one."""
    standin.respond_next(200, body)
    assert type(await fetch(session, standin, key)) is error


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, AuthenticationError), (403, AccessDeniedError), (500, ProviderServerError)],
)
async def test_seven_unknown_codes_follow_the_status(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    status: int,
    error: type[ProviderError],
) -> None:
    """A bare code seven.io does not document: the HTTP status decides."""
    standin.respond_next(status, "401")
    assert type(await fetch(session, standin, "seven")) is error


async def test_seven_without_json_answers_bare_text(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """The stand-in plays the old API: no JSON asked, a bare number back."""
    url = f"{standin.url}/api/balance"
    async with session.get(url, headers={"X-Api-Key": "demo-seven-key"}) as answer:
        assert await answer.text() == "100.50"
