"""SMSC: its declaration, and its client over real HTTP against the stand-in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from typing import Any

import aiohttp
import pytest

from custom_components.sms_credit.providers import (
    AuthenticationError,
    Balance,
    IpBlockedError,
    MalformedResponseError,
    ProviderClient,
    ProviderConnectionError,
    ProviderError,
    ProviderServerError,
    ProviderTimeoutError,
    RateLimit,
    RateLimitedError,
    RateLimiter,
    Site,
    SiteRule,
)
from custom_components.sms_credit.providers.smsc import SPEC, smsc_password_hash
from tests.providers.helpers import FakeClock, fixture_bytes
from tests.standin import SMSC_PATH, Account, StandinProvider

DEMO_MD5 = smsc_password_hash("demo-password")
SMSC_RATE_LIMIT = SPEC.rate_limit


def make_client(
    session: aiohttp.ClientSession,
    host: str,
    *,
    auth_method: str = "password",
    credentials: dict[str, str] | None = None,
    backups: Sequence[str] = (),
    **kwargs: Any,
) -> ProviderClient:
    """Build a client for the stand-in's ``demo`` account, ``host`` its site."""
    spec = replace(SPEC, sites=(Site(host.rstrip("/"), backups=tuple(backups)),))
    return ProviderClient(
        session,
        spec,
        host=host,
        auth_method=auth_method,
        credentials=credentials or {"username": "demo", "password_md5": DEMO_MD5},
        **kwargs,
    )


def test_declaration() -> None:
    """Five national sites with backups; SMSC's limits; the MD5 is a transform."""
    assert SPEC.hosts == (
        "https://smsc.ru",
        "https://smscentre.com",
        "https://smsc.kz",
        "https://smsc.ua",
        "https://smsc.tj",
    )
    assert [site.country for site in SPEC.sites] == ["RU", "", "KZ", "UA", "TJ"]
    assert SPEC.short_name == "SMSC"
    assert SPEC.currency is None
    assert SPEC.unit is None
    assert SPEC.rate_limit == RateLimit(
        max_requests=10, period=60, max_concurrent=14, longest_pause=1800
    )
    assert SPEC.site_rule == SiteRule(5, 1800, 1800)
    password, api_key = SPEC.auth_methods
    assert [(f.key, f.form_key, f.secret) for f in password.fields] == [
        ("username", "username", False),
        ("password_md5", "password", True),
    ]
    assert password.fields[1].transform is smsc_password_hash
    assert [(f.key, f.form_key, f.secret) for f in api_key.fields] == [
        ("username", "name", False),
        ("api_key", "api_key", True),
    ]
    assert password.account_field == api_key.account_field == "username"


def test_password_hash() -> None:
    """The hash is SMSC's: lowercase MD5 hex of the UTF-8 password."""
    assert smsc_password_hash("password") == "5f4dcc3b5aa765d61d8327deb882cf99"
    assert smsc_password_hash("пароль") == "e242f36f4f95f12966da8fa2efd59992"


async def test_balance_sends_md5_in_post_body(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """The password goes as its stored MD5, in the form body, never in the URL."""
    balance = await make_client(session, standin.url).async_get_balance()

    assert balance == Balance(Decimal("100.50"), "RUB", Decimal(0))
    (seen,) = standin.seen
    assert seen.method == "POST"
    assert seen.path == SMSC_PATH
    assert seen.query == {}
    assert seen.form == {
        "login": "demo",
        "psw": DEMO_MD5,
        "fmt": "3",
        "cur": "1",
        "charset": "utf-8",
    }
    assert "demo-password" not in repr(seen)


async def test_balance_with_stored_md5(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """A stored MD5 is sent as it is (lowercased), no plaintext needed."""
    client = make_client(
        session,
        standin.url,
        credentials={"username": " demo ", "password_md5": DEMO_MD5.upper()},
    )
    assert (await client.async_get_balance()).amount == Decimal("100.50")
    assert standin.seen[0].form["psw"] == DEMO_MD5
    assert standin.seen[0].form["login"] == "demo"


async def test_balance_with_api_key(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """With an API key only ``apikey`` is sent; the login is not."""
    client = make_client(
        session,
        standin.url,
        auth_method="api_key",
        credentials={"username": "demo", "api_key": "demo-smsc-key"},
    )
    assert (await client.async_get_balance()).currency == "RUB"
    form = standin.seen[0].form
    assert form["apikey"] == "demo-smsc-key"
    assert "login" not in form
    assert "psw" not in form


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        (
            Account("pw", balance="12.5", credit="500", currency="KZT"),
            Balance(Decimal("12.5"), "KZT", Decimal(500)),
        ),
        (
            Account("pw", balance="-3.10", credit="0.00", currency="byr"),
            Balance(Decimal("-3.10"), "BYN", Decimal(0)),
        ),
        (
            Account("pw", balance="0", currency="UAH"),
            Balance(Decimal(0), "UAH", Decimal(0)),
        ),
    ],
)
async def test_balance_credit_and_currency(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    account: Account,
    expected: Balance,
) -> None:
    """Credit only when non-zero; legacy currency labels become ISO 4217."""
    standin.smsc_accounts["acme"] = account
    credentials = {"username": "acme", "password_md5": smsc_password_hash("pw")}
    client = make_client(session, standin.url, credentials=credentials)
    assert await client.async_get_balance() == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("balance_fmt3.json", Balance(Decimal("1234.50"), "RUB", Decimal("500.00"))),
        ("balance_fmt3_no_credit.json", Balance(Decimal("87.10"), "KZT", Decimal(0))),
    ],
)
async def test_documented_success_bodies(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    name: str,
    expected: Balance,
) -> None:
    """Every documented JSON success shape is read."""
    standin.respond_next(200, fixture_bytes("smsc", name))
    assert await make_client(session, standin.url).async_get_balance() == expected


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("balance_fmt3_no_currency.json", MalformedResponseError, "currency"),
        ("error_fmt3_2.json", AuthenticationError, "(code 2)"),
        (
            "error_fmt3_1.json",
            ProviderServerError,
            "request rejected: error in parameters (code 1)",
        ),
        ("error_fmt3_4.json", IpBlockedError, "(code 4)"),
        ("error_fmt3_9.json", RateLimitedError, "(code 9)"),
    ],
)
async def test_documented_error_bodies(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    name: str,
    error: type[ProviderError],
    message: str,
) -> None:
    """Every documented error shape maps to its error."""
    standin.respond_next(200, fixture_bytes("smsc", name))
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        await make_client(session, standin.url).async_get_balance()


async def test_error_details(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """Error 2 may be an IP problem; 4 and 9 say how long to wait."""
    client = make_client(session, standin.url)
    standin.respond_next(200, fixture_bytes("smsc", "error_fmt3_2.json"))
    with pytest.raises(AuthenticationError) as auth:
        await client.async_get_balance()
    assert auth.value.ip_maybe_not_allowed
    standin.respond_next(200, fixture_bytes("smsc", "error_fmt3_4.json"))
    with pytest.raises(IpBlockedError) as blocked:
        await client.async_get_balance()
    assert blocked.value.retry_after == 1800
    standin.respond_next(200, fixture_bytes("smsc", "error_fmt3_9.json"))
    with pytest.raises(RateLimitedError) as limited:
        await client.async_get_balance()
    assert limited.value.retry_after == 60


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (
            b'{"error": "strange", "error_code": 77}',
            ProviderServerError,
            "provider error 77: strange",
        ),
        (b'{"error_code": "5"}', ProviderServerError, "provider error 5$"),
        (b'{"error": "no number"}', ProviderServerError, "provider error: no number"),
        (b'{"error_code": true}', ProviderServerError, "provider error: unknown"),
        (b'{"balance": "1", "currency": "XYZ"}', MalformedResponseError, "XYZ"),
        (b'{"balance": "abc", "currency": "RUB"}', MalformedResponseError, "balance"),
        (
            b'{"balance": "1", "credit": "x", "currency": "RUB"}',
            MalformedResponseError,
            "credit",
        ),
        (b'["balance"]', MalformedResponseError, "JSON object"),
        (b'{"balance": ', MalformedResponseError, "not valid JSON"),
        (b"<html>oops</html>", MalformedResponseError, "not valid JSON"),
        (b"", MalformedResponseError, "not valid JSON"),
        (b"100.50,RUR", MalformedResponseError, "not valid JSON"),
        (b"ERROR = 9", MalformedResponseError, "not valid JSON"),
    ],
)
async def test_odd_bodies(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    body: bytes,
    error: type[ProviderError],
    message: str,
) -> None:
    """Unknown codes and broken answers raise the right error."""
    standin.respond_next(200, body)
    with pytest.raises(error, match=message):
        await make_client(session, standin.url).async_get_balance()


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (500, b"<h1>Internal error</h1>", ProviderServerError),
        (502, b"", ProviderServerError),
        (503, b'{"error": "busy", "error_code": 9}', RateLimitedError),
        (500, b'{"balance": "5", "currency": "RUR"}', None),
        (404, b"", MalformedResponseError),
    ],
)
async def test_http_status(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    status: int,
    body: bytes,
    error: type[ProviderError] | None,
) -> None:
    """The status counts only for a 5XX whose body cannot be read."""
    standin.respond_next(status, body)
    client = make_client(session, standin.url)
    if error is None:
        assert (await client.async_get_balance()).amount == 5
        return
    with pytest.raises(error):
        await client.async_get_balance()


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("120", 120.0), (None, 60.0), ("soon", 60.0), ("-5", 60.0)],
)
async def test_http_429(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    retry_after: str | None,
    expected: float,
) -> None:
    """A 429 is a rate limit; ``Retry-After`` says how long (60 s if unreadable)."""
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    standin.respond_next(429, b"", headers=headers)
    with pytest.raises(RateLimitedError) as err:
        await make_client(session, standin.url).async_get_balance()
    assert err.value.retry_after == expected


async def test_http_429_date(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """``Retry-After`` as an HTTP-date."""
    when = datetime.now(UTC) + timedelta(seconds=300)
    standin.respond_next(
        429, headers={"Retry-After": format_datetime(when, usegmt=True)}
    )
    with pytest.raises(RateLimitedError) as err:
        await make_client(session, standin.url).async_get_balance()
    assert err.value.retry_after is not None
    assert 290 <= err.value.retry_after <= 300


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "demo", "password_md5": smsc_password_hash("wrong")},
        {"username": "nobody", "password_md5": DEMO_MD5},
    ],
)
async def test_wrong_credentials(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    credentials: dict[str, str],
) -> None:
    """The server's error 2 for wrong credentials."""
    client = make_client(session, standin.url, credentials=credentials)
    with pytest.raises(AuthenticationError) as err:
        await client.async_get_balance()
    assert err.value.ip_maybe_not_allowed


async def test_wrong_api_key(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """An unknown API key is an authentication error."""
    client = make_client(
        session,
        standin.url,
        auth_method="api_key",
        credentials={"username": "demo", "api_key": "nope"},
    )
    with pytest.raises(AuthenticationError):
        await client.async_get_balance()


async def test_ip_not_allowed(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """SMSC answers error 2 for an IP outside the allowed list."""
    standin.allowed_ips = ["192.0.2.1"]
    with pytest.raises(AuthenticationError) as err:
        await make_client(session, standin.url).async_get_balance()
    assert err.value.ip_maybe_not_allowed


async def test_server_rate_limit(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """Without a limiter, the 11th request in a minute gets error 9."""
    client = make_client(session, standin.url)
    for _ in range(10):
        await client.async_get_balance()
        clock.advance(5)
    with pytest.raises(RateLimitedError) as err:
        await client.async_get_balance()
    assert err.value.retry_after == 60
    clock.advance(15)
    assert (await client.async_get_balance()).currency == "RUB"


async def test_server_blocks_ip_after_five_failures(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """Five failed logins in 30 minutes block the IP for 30 minutes (error 4)."""
    bad = make_client(
        session,
        standin.url,
        credentials={"username": "demo", "password_md5": smsc_password_hash("bad")},
    )
    good = make_client(session, standin.url)
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            await bad.async_get_balance()
        clock.advance(60)
    with pytest.raises(IpBlockedError) as err:
        await good.async_get_balance()  # and the block now lasts 30 min from here
    assert err.value.retry_after == 1800
    clock.advance(1799)
    with pytest.raises(IpBlockedError):
        await good.async_get_balance()  # prolonged once more
    assert standin.during_block["127.0.0.1"] == 2
    clock.advance(1800)
    assert (await good.async_get_balance()).amount == Decimal("100.50")


def test_backup_hosts_declared() -> None:
    """Only the national services have backup hosts www2 to www5."""
    assert SPEC.backups("https://smsc.ru") == (
        "https://www2.smsc.ru",
        "https://www3.smsc.ru",
        "https://www4.smsc.ru",
        "https://www5.smsc.ru",
    )
    assert SPEC.backups("HTTPS://WWW.SMSC.KZ/")[0] == "https://www2.smsc.kz"
    assert SPEC.backups("https://smscentre.com")[-1] == "https://www5.smscentre.com"
    assert SPEC.backups("https://sms.reseller.example") == ()
    assert SPEC.backups("https://smsc.ru/api") == ()
    assert SPEC.backups("https://smsc.ru:8443") == ()
    assert SPEC.backups("https://www2.smsc.ru") == ()


def test_backup_requests_built(session: aiohttp.ClientSession) -> None:
    """The client builds one request per backup, to the same path."""
    client = ProviderClient(
        session,
        SPEC,
        host="https://smsc.ua/",
        auth_method="password",
        credentials={"username": "demo", "password_md5": DEMO_MD5},
    )
    assert client.host == "https://smsc.ua"
    assert [request.url for request in client._requests] == [
        "https://smsc.ua/sys/balance.php",
        *(f"https://www{n}.smsc.ua/sys/balance.php" for n in range(2, 6)),
    ]


async def test_backup_hosts_used_on_connection_failure(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    clock: FakeClock,
    closed_url: str,
) -> None:
    """One backup per check, the next one each time; each attempt counts."""
    limiter = RateLimiter(SMSC_RATE_LIMIT)
    client = make_client(
        session, closed_url, backups=[standin.url, closed_url], limiter=limiter
    )
    assert (await client.async_get_balance()).amount == Decimal("100.50")
    assert standin.requests[SMSC_PATH] == 1
    assert len(limiter.history) == 2
    with pytest.raises(ProviderConnectionError):
        await client.async_get_balance()  # main, then the second backup
    assert len(limiter.history) == 4
    assert (await client.async_get_balance()).amount == Decimal("100.50")
    assert len(limiter.history) == 6


async def test_backup_hosts_used_on_timeout(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    standin2: StandinProvider,
) -> None:
    """A host that does not answer in time is left for the next one."""
    standin.pause()
    client = make_client(session, standin.url, backups=[standin2.url], timeout=0.2)
    assert (await client.async_get_balance()).currency == "RUB"
    assert standin.requests[SMSC_PATH] == 1
    assert standin2.requests[SMSC_PATH] == 1


async def test_backup_hosts_not_used_on_answers(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    standin2: StandinProvider,
) -> None:
    """An answer, even an error, ends the attempt: no backup host is asked."""
    standin.respond_next(503, b"down")
    client = make_client(session, standin.url, backups=[standin2.url])
    with pytest.raises(ProviderServerError):
        await client.async_get_balance()
    assert standin2.requests[SMSC_PATH] == 0


async def test_all_hosts_unreachable(
    session: aiohttp.ClientSession, closed_url: str
) -> None:
    """The last failure is raised when no host answers."""
    client = make_client(session, closed_url, backups=[closed_url])
    with pytest.raises(ProviderConnectionError) as err:
        await client.async_get_balance()
    assert not isinstance(err.value, ProviderTimeoutError)


@pytest.mark.parametrize(
    ("auth_method", "credentials", "message"),
    [
        ("password", {"password_md5": DEMO_MD5}, "'username'"),
        ("password", {"username": "a", "password_md5": " "}, "'password_md5'"),
        ("password", {"username": "a", "password": "x"}, "'password_md5'"),
        ("password", {"username": "a", "password_md5": "abc"}, "32 hexadecimal"),
        ("api_key", {"username": "a", "password": "x"}, "'api_key'"),
        ("oauth", {"username": "a"}, "unknown auth method"),
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
        ProviderClient(
            session,
            SPEC,
            host=SPEC.hosts[0],
            auth_method=auth_method,
            credentials=credentials,
        )


def test_repr_and_account(session: aiohttp.ClientSession) -> None:
    """The account is the login; the repr shows no secret."""
    client = ProviderClient(
        session,
        SPEC,
        host=SPEC.hosts[0],
        auth_method="api_key",
        credentials={"username": " Demo ", "api_key": "k" * 20},
    )
    assert client.account == "Demo"
    assert repr(client) == (
        "ProviderClient(provider='smsc', host='https://smsc.ru', "
        "auth_method='api_key', account='Demo')"
    )
