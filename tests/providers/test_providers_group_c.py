"""Brevo, SMS.to and Mobizon over real HTTP: what is theirs alone.

The generic tests (``test_providers_beyond``) already play each one's demo
account, a wrong key, a key without the permission, 429s and 5xx. Here:
each documented sample body as sent over HTTP; Brevo's SMS credits (never
money, never a made-up 0), its IP security and its one hourly window for
every key of an account; SMS.to's postpaid accounts; Mobizon's envelope
codes, its national domains and its wrong-domain answer; and the two paths
the stand-in shares (Brevo with ClickSend, SMS.to with seven.io).
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
import json

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
    PostpaidError,
    ProviderClient,
    ProviderError,
    ProviderServerError,
    RateLimitedError,
    RateLimiter,
    ThrottledError,
    WrongSiteError,
)
from tests.providers.helpers import FakeClock, fixture_bytes
from tests.providers.test_providers_beyond import DEMO, SHOWN, fetch
from tests.standin import Account, StandinProvider

BREVO = PROVIDERS["brevo"]


def envelope(code: object, data: object = None, message: str = "") -> str:
    """A Mobizon answer: the documented envelope around ``code`` (no data: [])."""
    return json.dumps({"code": code, "data": data or [], "message": message})


@pytest.mark.parametrize(
    ("key", "name", "status", "expected"),
    [
        ("brevo", "account.json", 200, Balance(Decimal("999.536"))),
        ("brevo", "error_401.json", 401, AuthenticationError),
        ("brevo", "error_401_ip.json", 401, IpNotAllowedError),
        ("brevo", "error_permission.json", 401, AccessDeniedError),
        ("brevo", "error_permission.json", 403, AccessDeniedError),
        ("smsto", "error_401.json", 401, AuthenticationError),
        ("smsto", "error_429.json", 429, RateLimitedError),
        ("mobizon", "balance.json", 200, Balance(Decimal("100.50"), "KZT")),
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


# Brevo


def test_brevo_counts_sms_credits() -> None:
    """SMS credits in their own unit, never money; a threshold of a few alarms."""
    assert (BREVO.unit, BREVO.currency) == ("SMS credits", None)
    assert BREVO.default_threshold == 50
    assert BREVO.hosts == ("https://api.brevo.com",)
    assert BREVO.panel_url == "https://app.brevo.com/security/authorised_ips"
    assert SHOWN["brevo"].currency == ""


async def test_brevo_key_without_the_account_permission(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """A Restricted key that may not read the account: the key is to blame."""
    standin.respond_next(401, fixture_bytes("brevo", "error_permission.json"))
    error = await fetch(session, standin, "brevo")
    assert isinstance(error, AccessDeniedError)
    assert error.field == "api_key"
    assert "account" in BREVO.permission


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        # The SMS plan among the others, whichever comes first.
        (
            [
                {"type": "sms", "credits": 12.5, "creditsType": "sendLimit"},
                {"type": "free", "credits": 300, "creditsType": "sendLimit"},
            ],
            Balance(Decimal("12.5")),
        ),
        ([{"type": "sms", "credits": "250"}], Balance(Decimal(250))),
        ([{"type": "sms", "credits": 0}], Balance(Decimal(0))),
        # No SMS plan: the account has no SMS credits to watch (never a 0).
        (
            [{"type": "free", "credits": 300, "creditsType": "sendLimit"}],
            NoBalanceError,
        ),
        ([], NoBalanceError),
        # What cannot be right is never shown.
        ([{"type": "sms"}], MalformedResponseError),
        ([{"type": "sms", "credits": "lots"}], MalformedResponseError),
        (
            [{"type": "sms", "credits": 5}, {"type": "sms", "credits": 7}],
            MalformedResponseError,
        ),
        ("sms", MalformedResponseError),
        (None, MalformedResponseError),
    ],
)
async def test_brevo_reads_the_sms_plan(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    plan: object,
    expected: Balance | type[ProviderError],
) -> None:
    """Only the one ``sms`` plan's credits are a balance."""
    standin.respond_next(200, json.dumps({"email": "a@example.com", "plan": plan}))
    outcome = await fetch(session, standin, "brevo")
    if isinstance(expected, Balance):
        assert outcome == expected
    else:
        assert type(outcome) is expected


async def test_brevo_ip_security(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """An address IP security does not know: the allow-list repair, not reauth."""
    standin.accounts["brevo"]["demo"].allowed_ips = ["192.0.2.1"]
    assert isinstance(await fetch(session, standin, "brevo"), IpNotAllowedError)
    assert standin.log[-1].outcome == "not_allowed"
    standin.accounts["brevo"]["demo"].allowed_ips = None
    assert await fetch(session, standin, "brevo") == SHOWN["brevo"]


@pytest.mark.parametrize(
    ("headers", "wait"),
    [
        ({"x-sib-ratelimit-reset": "2400"}, 2400.0),
        ({"x-sib-ratelimit-reset": "2400", "Retry-After": "30"}, 30.0),
        ({"x-sib-ratelimit-reset": "soon"}, 60.0),
    ],
)
async def test_brevo_429_waits_its_reset(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    headers: dict[str, str],
    wait: float,
) -> None:
    """Brevo's 429 waits as long as ``x-sib-ratelimit-reset`` says (else a minute)."""
    standin.respond_next(429, "", headers=headers)
    error = await fetch(session, standin, "brevo")
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == wait


def brevo_client(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    limiters: dict[str, RateLimiter],
    name: str,
    api_key: str,
) -> ProviderClient:
    """A Brevo login with the limiter the store keeps for its login key."""
    key = BREVO.login_key(standin.url, name)
    limiter = limiters.setdefault(key, RateLimiter(BREVO.rate_limit))
    return ProviderClient(
        session,
        BREVO,
        host=standin.url,
        auth_method="api_key",
        credentials={"username": name, "api_key": api_key},
        limiter=limiter,
    )


async def ask(client: ProviderClient) -> None:
    """Ask for the balance; a request held back unsent is no failure here."""
    with contextlib.suppress(ThrottledError):
        await client.async_get_balance()


async def test_brevo_logins_share_one_hourly_window(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """Two keys, asked every minute for three hours: 12 requests an hour in all.

    Brevo counts 100 an hour for the whole account, shared with every other
    tool; which keys share an account cannot be told, so every Brevo login
    at the site shares one window.
    """
    standin.accounts["brevo"]["other"] = Account("", api_key="other-brevo-key")
    limiters: dict[str, RateLimiter] = {}
    clients = [
        brevo_client(session, standin, limiters, "My Brevo", "demo-brevo-key"),
        brevo_client(session, standin, limiters, "Shop Brevo", "other-brevo-key"),
    ]
    assert len(limiters) == 1
    for _ in range(3 * 60):
        for client in clients:
            await ask(client)
        clock.advance(60)
    sent = [exchange.at for exchange in standin.log]
    assert len(sent) == 3 * 12
    assert all(sum(t <= u < t + 3600 for u in sent) <= 12 for t in sent)
    assert {exchange.login for exchange in standin.log} == {"demo", "other"}


async def test_brevo_429_for_one_key_holds_back_every_key(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """The account's limit is reached: no other Brevo login asks until it resets."""
    standin.accounts["brevo"]["other"] = Account("", api_key="other-brevo-key")
    limiters: dict[str, RateLimiter] = {}
    first = brevo_client(session, standin, limiters, "My Brevo", "demo-brevo-key")
    second = brevo_client(session, standin, limiters, "Shop Brevo", "other-brevo-key")
    standin.respond_next(429, "", headers={"x-sib-ratelimit-reset": "600"})
    with pytest.raises(RateLimitedError):
        await first.async_get_balance()
    clock.advance(599)
    with pytest.raises(ThrottledError):
        await second.async_get_balance()
    assert len(standin.log) == 1
    clock.advance(1)
    assert await second.async_get_balance() == SHOWN["brevo"]


async def test_brevo_and_clicksend_share_a_path(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """``/v3/account`` answers Brevo's api-key and ClickSend's Basic auth alike."""
    assert await fetch(session, standin, "clicksend") == SHOWN["clicksend"]
    assert await fetch(session, standin, "brevo") == SHOWN["brevo"]
    assert await fetch(session, standin, "clicksend") == SHOWN["clicksend"]
    assert [e.provider for e in standin.log] == ["clicksend", "brevo", "clicksend"]


# SMS.to


@pytest.mark.parametrize(
    "body",
    [
        {"status": "postpaid"},
        {"code": 0},
        {"balance": 0, "currency": "EUR", "status": "postpaid"},
    ],
)
async def test_smsto_postpaid(
    session: aiohttp.ClientSession, standin: StandinProvider, body: object
) -> None:
    """A body with ``status`` or ``code`` is a postpaid account: never a balance."""
    standin.respond_next(200, json.dumps(body))
    assert isinstance(await fetch(session, standin, "smsto"), PostpaidError)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"balance": 4.2, "currency": "usd"}, Balance(Decimal("4.2"), "USD")),
        ({"balance": "4.20", "currency": "EUR"}, Balance(Decimal("4.20"), "EUR")),
        ({"balance": 4.2}, MalformedResponseError),
        ({"balance": 4.2, "currency": "XXX"}, MalformedResponseError),
        ({"currency": "EUR"}, MalformedResponseError),
        ({"success": False, "message": "nope"}, MalformedResponseError),
    ],
)
async def test_smsto_balance_and_currency(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    body: object,
    expected: Balance | type[ProviderError],
) -> None:
    """The balance needs its currency; anything less is never shown."""
    standin.respond_next(200, json.dumps(body))
    outcome = await fetch(session, standin, "smsto")
    if isinstance(expected, Balance):
        assert outcome == expected
    else:
        assert type(outcome) is expected


async def test_smsto_request(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """The key as a bearer token only; JSON declared, as SMS.to requires."""
    await fetch(session, standin, "smsto")
    (seen,) = standin.seen
    assert seen.headers["Content-Type"] == "application/json"
    assert "demo-smsto-key" not in json.dumps([seen.path, seen.query, seen.form])


async def test_smsto_and_seven_share_a_path(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """``/api/balance`` answers SMS.to's bearer token and seven.io's key alike."""
    assert await fetch(session, standin, "seven") == SHOWN["seven"]
    assert await fetch(session, standin, "smsto") == SHOWN["smsto"]
    assert [e.provider for e in standin.log] == ["seven", "smsto"]


# Mobizon


def test_mobizon_national_domains() -> None:
    """The documented API domains, each with its country and its own panel."""
    spec = PROVIDERS["mobizon"]
    assert [(site.url, site.country) for site in spec.sites] == [
        ("https://api.mobizon.kz", "KZ"),
        ("https://api.mobizon.ua", "UA"),
        ("https://api.mobizon.gmbh", "DE"),
        ("https://api.mobizon.com.br", "BR"),
    ]
    assert spec.control_panel("https://api.mobizon.ua") == "https://mobizon.ua/"
    assert spec.control_panel("https://api.mobizon.kz") == "https://mobizon.kz/"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (envelope(8, message="Login error"), AuthenticationError),
        (envelope(9), AccessDeniedError),
        (envelope(13, "api.mobizon.ua"), WrongSiteError),
        (envelope(14), ProviderServerError),
        (envelope(30), RateLimitedError),
        (envelope(999, message="General error"), ProviderServerError),
        (envelope(3), ProviderServerError),
        (
            envelope("0", {"balance": "7.1234", "currency": "UAH"}),
            Balance(Decimal("7.1234"), "UAH"),
        ),
        (envelope(0, {"balance": "7.1234"}), MalformedResponseError),
        (envelope(0, {"balance": "x", "currency": "KZT"}), MalformedResponseError),
        (envelope(0), MalformedResponseError),
        ('{"data": {"balance": "7", "currency": "KZT"}}', MalformedResponseError),
    ],
)
async def test_mobizon_codes(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    body: str,
    expected: Balance | type[ProviderError],
) -> None:
    """Each documented code of the envelope is its own error; only 0 is a balance."""
    standin.respond_next(200, body)
    outcome = await fetch(session, standin, "mobizon")
    if isinstance(expected, Balance):
        assert outcome == expected
    else:
        assert type(outcome) is expected


async def test_mobizon_login_error_may_be_the_address(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """Code 8 asks for the key, and says the key's IP list may be the cause."""
    standin.respond_next(200, envelope(8))
    error = await fetch(session, standin, "mobizon")
    assert isinstance(error, AuthenticationError)
    assert error.ip_maybe_not_allowed


async def test_mobizon_rate_limit_waits_a_minute(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """Code 30 gives no wait: a minute, as a 429 without one."""
    standin.respond_next(200, envelope(30))
    error = await fetch(session, standin, "mobizon")
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 60.0


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ("api.mobizon.ua", "api.mobizon.ua"),
        (" API.Mobizon.KZ ", "api.mobizon.kz"),
        ("https://evil.example/<script>", None),
        ("call +1 555 0100 now", None),
        ({"domain": "api.mobizon.ua"}, None),
    ],
)
async def test_mobizon_wrong_domain(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    data: object,
    named: str | None,
) -> None:
    """Code 13 names the right domain only when ``data`` is a plain host name."""
    body = json.dumps({"code": 13, "data": data, "message": ""})
    standin.respond_next(200, body)
    error = await fetch(session, standin, "mobizon")
    assert isinstance(error, WrongSiteError)
    if named:
        assert named in str(error)
    else:
        assert "another of its domains" in str(error)
        assert "evil" not in str(error)
        assert "555" not in str(error)


async def test_mobizon_key_travels_as_documented(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """The key is in the query, as Mobizon documents; no message shows it."""
    standin.respond_next(200, '{"code": 8, "data": "", "message": "Bad key"}')
    error = await fetch(session, standin, "mobizon")
    assert isinstance(error, AuthenticationError)
    assert "demo-mobizon-key" not in str(error)
    await fetch(session, standin, "mobizon")
    seen = standin.seen[-1]
    assert seen.query["apiKey"] == DEMO["mobizon"][1]["api_key"]
    assert seen.form == {}
