"""Agile Telecom: its declaration, and its client over real HTTP (the stand-in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

import aiohttp
import pytest

from custom_components.sms_credit.providers import (
    AuthenticationError,
    Balance,
    IpNotAllowedError,
    MalformedResponseError,
    ProviderClient,
    ProviderError,
    ProviderServerError,
    RateLimit,
    RateLimitedError,
)
from custom_components.sms_credit.providers.agile import SPEC
from tests.providers.helpers import FakeClock, fixture_bytes
from tests.standin import AGILE_PATH, Account, StandinProvider


def make_client(
    session: aiohttp.ClientSession,
    host: str,
    *,
    auth_method: str = "password",
    credentials: dict[str, str] | None = None,
    **kwargs: Any,
) -> ProviderClient:
    """Build a client for the stand-in's ``demo`` account."""
    return ProviderClient(
        session,
        SPEC,
        host=host,
        auth_method=auth_method,
        credentials=credentials or {"username": "demo", "password": "demo-password"},
        **kwargs,
    )


def test_declaration() -> None:
    """Two hosts, our gentle limit, euros; the API key's user only names it."""
    assert SPEC.hosts == (
        "https://secure.agiletelecom.com",
        "https://http-api.agiletelecom.com",
    )
    assert (SPEC.name, SPEC.short_name) == ("Agile Telecom", "")
    assert SPEC.rate_limit == RateLimit(max_requests=10, period=60, max_concurrent=2)
    assert SPEC.site_rule is None
    assert SPEC.currency == "EUR"
    password, api_key = SPEC.auth_methods
    assert [(f.key, f.form_key, f.secret) for f in password.fields] == [
        ("username", "username", False),
        ("password", "password", True),
    ]
    assert [(f.key, f.form_key, f.secret) for f in api_key.fields] == [
        ("username", "name", False),
        ("api_key", "api_key", True),
    ]
    assert not any(field.transform for m in SPEC.auth_methods for field in m.fields)


async def test_basic_auth(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """Basic authentication; the credit is kept exact, in euros."""
    standin.agile_accounts["demo"].balance = "10.324"
    balance = await make_client(session, standin.url).async_get_balance()

    assert balance == Balance(Decimal("10.324"), "EUR", None)
    (seen,) = standin.seen
    assert seen.method == "GET"
    assert seen.path == AGILE_PATH
    assert seen.query == {}
    assert seen.headers["Authorization"] == "Basic ZGVtbzpkZW1vLXBhc3N3b3Jk"
    assert "X-Api-Key" not in seen.headers


async def test_api_key(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """The API key goes in ``X-Api-Key``; the login is not sent."""
    client = make_client(
        session,
        standin.url,
        auth_method="api_key",
        credentials={"username": "demo", "api_key": "demo-agile-key"},
    )
    assert (await client.async_get_balance()).amount == Decimal("100.50")
    (seen,) = standin.seen
    assert seen.headers["X-Api-Key"] == "demo-agile-key"
    assert "Authorization" not in seen.headers
    assert "demo" not in seen.path + str(seen.query)


async def test_non_ascii_password(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """Basic credentials are UTF-8."""
    standin.agile_accounts["acme"] = Account("pässwörd")
    client = make_client(
        session, standin.url, credentials={"username": "acme", "password": "pässwörd"}
    )
    assert (await client.async_get_balance()).currency == "EUR"


@pytest.mark.parametrize(
    ("auth_method", "credentials"),
    [
        ("password", {"username": "demo", "password": "wrong"}),
        ("password", {"username": "nobody", "password": "x"}),
        ("api_key", {"username": "demo", "api_key": "wrong"}),
    ],
)
async def test_wrong_credentials(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    auth_method: str,
    credentials: dict[str, str],
) -> None:
    """401 is an authentication error."""
    client = make_client(
        session, standin.url, auth_method=auth_method, credentials=credentials
    )
    with pytest.raises(AuthenticationError) as err:
        await client.async_get_balance()
    assert not err.value.ip_maybe_not_allowed


async def test_ip_not_allowed(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """403 with JSend code 100."""
    standin.allowed_ips = ["192.0.2.1"]
    with pytest.raises(IpNotAllowedError, match="code 100"):
        await make_client(session, standin.url).async_get_balance()


async def test_server_rate_limit(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """A 429 carries the server's ``Retry-After``."""
    standin.agile_max_per_minute = 1
    client = make_client(session, standin.url)
    await client.async_get_balance()
    clock.advance(15)
    with pytest.raises(RateLimitedError) as err:
        await client.async_get_balance()
    assert err.value.retry_after == 45
    clock.advance(45)
    await client.async_get_balance()


@pytest.mark.parametrize(
    ("status", "name", "error", "message"),
    [
        (
            503,
            "error_5xx.json",
            ProviderServerError,
            r"HTTP 503, code 9: Number check service unavailable",
        ),
        (500, "error_5xx_code8.json", ProviderServerError, "code 8: Server error"),
        (401, "error_401.json", AuthenticationError, "code 1"),
        (401, "error_401_user_not_found.json", AuthenticationError, "code 11"),
        (403, "error_403.json", IpNotAllowedError, "code 100"),
        (403, "error_403.html", IpNotAllowedError, r"\(HTTP 403\)"),
        (500, "error_401.json", AuthenticationError, "HTTP 500, code 1"),
        (502, "error_403.json", IpNotAllowedError, "HTTP 502, code 100"),
        (200, "error_5xx.json", ProviderServerError, "HTTP 200, code 9"),
    ],
)
async def test_documented_error_bodies(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    status: int,
    name: str,
    error: type[ProviderError],
    message: str,
) -> None:
    """JSend codes decide first; the HTTP status otherwise."""
    standin.respond_next(status, fixture_bytes("agile", name))
    with pytest.raises(error, match=message):
        await make_client(session, standin.url).async_get_balance()


async def test_documented_success_body(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """The documented example, verbatim."""
    standin.respond_next(200, fixture_bytes("agile", "credit.json"))
    assert await make_client(session, standin.url).async_get_balance() == Balance(
        Decimal("10.324"), "EUR"
    )


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, b"", AuthenticationError),
        (403, b"", IpNotAllowedError),
        (404, b"<html>Not found</html>", ProviderServerError),
        (400, b'{"status": "fail", "code": "x"}', ProviderServerError),
        (504, b"", ProviderServerError),
        (200, b'{"credit": "10.5"}', MalformedResponseError),
        (200, b'{"credit": true}', MalformedResponseError),
        (200, b'{"credit": null}', MalformedResponseError),
        (200, b'{"balance": 3}', MalformedResponseError),
        (200, b"[10.5]", MalformedResponseError),
        (200, b'{"credit": NaN}', MalformedResponseError),
        (200, b'{"credit": -Infinity}', MalformedResponseError),
        (200, b'{"credit": 1e400}', MalformedResponseError),
        (200, b'{"credit": 1000000000001}', MalformedResponseError),
        (200, b'{"credit": 10.3', MalformedResponseError),
        (200, b"", MalformedResponseError),
        (204, b"", MalformedResponseError),
    ],
)
async def test_odd_answers(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    status: int,
    body: bytes,
    error: type[ProviderError],
) -> None:
    """Empty, HTML, wrongly typed and out-of-range answers."""
    standin.respond_next(status, body)
    with pytest.raises(error):
        await make_client(session, standin.url).async_get_balance()


@pytest.mark.parametrize(
    ("body", "amount"),
    [
        (b'{"credit": -0.0}', "0.0"),
        (b'{"credit": 0}', "0"),
        (b'{"credit": -12.5}', "-12.5"),
        (b'{"credit": 1E+3}', "1000"),
        (b'\xef\xbb\xbf{"credit": 7}', "7"),
        (b'{"credit": 7', None),
    ],
)
async def test_number_edge_cases(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    body: bytes,
    amount: str | None,
) -> None:
    """Negative zero is zero; numbers stay exact; a UTF-8 BOM is skipped."""
    standin.respond_next(200, body)
    client = make_client(session, standin.url)
    if amount is None:
        with pytest.raises(MalformedResponseError):
            await client.async_get_balance()
        return
    balance = await client.async_get_balance()
    assert str(balance.amount) == amount
    assert not balance.amount.is_signed() or balance.amount < 0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"Retry-After": "30"}, 30.0), ({}, 60.0), ({"Retry-After": "x"}, 60.0)],
)
async def test_429(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    headers: dict[str, str],
    expected: float,
) -> None:
    """``Retry-After`` in seconds; 60 s when absent or unreadable."""
    standin.respond_next(429, b"", headers=headers)
    with pytest.raises(RateLimitedError) as err:
        await make_client(session, standin.url).async_get_balance()
    assert err.value.retry_after == expected


@pytest.mark.parametrize(("offset", "low", "high"), [(90, 80, 90), (-90, 0, 0)])
async def test_429_http_date(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    offset: int,
    low: float,
    high: float,
) -> None:
    """``Retry-After`` as an HTTP-date; one in the past means now."""
    when = datetime.now(UTC) + timedelta(seconds=offset)
    standin.respond_next(
        429, headers={"Retry-After": format_datetime(when, usegmt=True)}
    )
    with pytest.raises(RateLimitedError) as err:
        await make_client(session, standin.url).async_get_balance()
    assert err.value.retry_after is not None
    assert low <= err.value.retry_after <= high


@pytest.mark.parametrize(
    ("auth_method", "credentials", "message"),
    [
        ("password", {"username": "", "password": "x"}, "'username'"),
        ("password", {"username": "a"}, "'password'"),
        ("api_key", {"username": "a"}, "'api_key'"),
        ("oauth", {"username": "a"}, "unknown auth method"),
        ("password", {"username": "a:b", "password": "x"}, ":"),
    ],
)
def test_bad_credentials_rejected_early(
    session: aiohttp.ClientSession,
    auth_method: str,
    credentials: dict[str, str],
    message: str,
) -> None:
    """Credentials that cannot work are a programming error (``ValueError``)."""
    with pytest.raises(ValueError, match=message):
        make_client(
            session,
            SPEC.hosts[0],
            auth_method=auth_method,
            credentials=credentials,
        )


def test_defaults(session: aiohttp.ClientSession) -> None:
    """The documented host is the default; the repr hides the secrets."""
    client = make_client(
        session,
        SPEC.hosts[0],
        auth_method="api_key",
        credentials={"username": "u", "api_key": "k"},
    )
    assert client.host == "https://secure.agiletelecom.com"
    assert client.account == "u"
    assert "'k'" not in repr(client)
