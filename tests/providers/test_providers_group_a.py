"""Clickatell, Plivo, Infobip and TextMagic, as their users would notice them.

Each documented sample body (``tests/fixtures/<provider>/``, sources in their
READMEs) sent over real HTTP by the stand-in; answers that cannot be right;
and what each does its own way: Clickatell's and Infobip's refusal that may
be the IP address, Infobip's scope and per-account Base URL, Plivo's fixed
dollars, postpaid accounts and Auth ID in the path, TextMagic's limit of 20
requests a second.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from decimal import Decimal
import json

import aiohttp
import pytest

from custom_components.sms_credit.providers import (
    PROVIDERS,
    AccessDeniedError,
    AuthenticationError,
    Balance,
    MalformedResponseError,
    NoBalanceError,
    PostpaidError,
    ProviderClient,
    ProviderError,
    ProviderServerError,
    RateLimitedError,
    RateLimiter,
    ThrottledError,
)
from tests.providers.helpers import FakeClock, fixture_bytes
from tests.providers.test_providers_beyond import DEMO, LOGIN, SHOWN, fetch
from tests.standin import StandinProvider

PLIVO_ID = LOGIN["plivo"]


@pytest.mark.parametrize(
    ("key", "name", "status", "expected"),
    [
        ("clickatell", "balance.json", 200, Balance(Decimal("1267.92865"), "ZAR")),
        ("plivo", "account.json", 200, Balance(Decimal("1.80900"), "USD")),
        ("infobip", "balance.json", 200, Balance(Decimal("47.79134"), "EUR")),
        ("infobip", "error_401.json", 401, AuthenticationError),
        ("infobip", "error_401_apierror.json", 401, AuthenticationError),
        ("infobip", "error_403.json", 403, AccessDeniedError),
        ("infobip", "error_403_apierror.json", 403, AccessDeniedError),
        ("infobip", "error_429.json", 429, RateLimitedError),
        ("infobip", "error_500.json", 500, ProviderServerError),
        ("textmagic", "user.json", 200, Balance(Decimal("208.64"), "GBP")),
        ("textmagic", "error_401.json", 401, AuthenticationError),
        ("textmagic", "error_429.json", 429, RateLimitedError),
        ("textmagic", "error_503.json", 503, ProviderServerError),
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
    ("key", "status", "error", "ip_too"),
    [
        ("clickatell", 401, AuthenticationError, True),
        ("clickatell", 429, RateLimitedError, False),
        ("clickatell", 503, ProviderServerError, False),
        ("plivo", 401, AuthenticationError, False),
        ("plivo", 429, RateLimitedError, False),
        ("plivo", 500, ProviderServerError, False),
    ],
)
async def test_documented_statuses_without_a_documented_body(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    key: str,
    status: int,
    error: type[ProviderError],
    ip_too: bool,
) -> None:
    """Clickatell's and Plivo's statuses: the status alone decides."""
    standin.respond_next(status, "")
    outcome = await fetch(session, standin, key)
    assert type(outcome) is error
    assert getattr(outcome, "ip_maybe_not_allowed", False) is ip_too


@pytest.mark.parametrize(
    ("key", "name", "status", "words"),
    [
        ("infobip", "error_401.json", 401, "UNAUTHORIZED"),
        ("infobip", "error_401_apierror.json", 401, "E401"),
        ("infobip", "error_403.json", 403, "FORBIDDEN"),
        ("infobip", "error_403_apierror.json", 403, "Insufficient permissions"),
        ("infobip", "error_500.json", 500, "GENERAL_ERROR"),
        ("textmagic", "error_503.json", 503, "unavailable due to maintenance"),
    ],
)
async def test_the_providers_words_are_quoted(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    key: str,
    name: str,
    status: int,
    words: str,
) -> None:
    """The message shown names the provider's own code or words."""
    standin.respond_next(status, fixture_bytes(key, name))
    outcome = await fetch(session, standin, key)
    assert isinstance(outcome, ProviderError)
    assert words in str(outcome)


@pytest.mark.parametrize(
    ("key", "body"),
    [
        ("clickatell", b'{"balance": "lots", "currency": "ZAR"}'),
        ("clickatell", b'{"balance": 1267.92865}'),
        ("clickatell", b'{"balance": true, "currency": "ZAR"}'),
        ("clickatell", b'{"balance": 1, "currency": "XTS"}'),
        # The legacy REST API's credits are never taken for money.
        ("clickatell", b'{"data": {"balance": "300.50"}}'),
        ("plivo", b'{"billing_mode": "prepaid"}'),
        ("plivo", b'{"billing_mode": "prepaid", "cash_credits": "1,80900"}'),
        ("plivo", b'{"billing_mode": "prepaid", "cash_credits": null}'),
        ("plivo", b'{"cash_credits": "1.80900"}'),
        ("plivo", b'{"billing_mode": "trial", "cash_credits": "1.80900"}'),
        ("plivo", b'{"billing_mode": null, "cash_credits": "1.80900"}'),
        ("infobip", b'{"balance": 47.79134}'),
        ("infobip", b'{"balance": [47.79134], "currency": "EUR"}'),
        # /total-balance's currency is an object: not this endpoint's answer.
        ("infobip", b'{"balance": 47.79134, "currency": {"code": "EUR"}}'),
        ("textmagic", b'{"balance": 208.64, "currency": "GBP"}'),
        ("textmagic", b'{"balance": 208.64, "currency": {"id": "XTS"}}'),
        ("textmagic", b'{"balance": null, "currency": {"id": "GBP"}}'),
        ("textmagic", b'{"currency": {"id": "GBP"}}'),
    ],
)
async def test_answers_that_cannot_be_right(
    session: aiohttp.ClientSession, standin: StandinProvider, key: str, body: bytes
) -> None:
    """What is not a documented balance is never shown as one."""
    standin.respond_next(200, body)
    assert type(await fetch(session, standin, key)) is MalformedResponseError


@pytest.mark.parametrize("key", ["clickatell", "infobip"])
async def test_a_refusal_that_may_be_the_ip_address_says_both(
    session: aiohttp.ClientSession, standin: StandinProvider, key: str
) -> None:
    """Clickatell's IP lockdown, an Infobip key's allowedIPs: one 401 for both.

    The refusal asks for the key again and names the IP address too; once
    the address is allowed, the balance is back.
    """
    account = standin.accounts[key][LOGIN[key]]
    account.allowed_ips = ["192.0.2.1"]
    error = await fetch(session, standin, key)
    assert type(error) is AuthenticationError
    assert error.ip_maybe_not_allowed
    assert "IP address" in str(error)
    assert standin.log[-1].outcome == "not_allowed"
    account.allowed_ips = None
    assert await fetch(session, standin, key) == SHOWN[key]


async def test_infobip_key_without_the_scope(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """A 403 names the scope the key needs, on the key."""
    standin.accounts["infobip"]["demo"].denied = True
    error = await fetch(session, standin, "infobip")
    assert isinstance(error, AccessDeniedError)
    assert error.field == "api_key"
    assert "account-management:manage" in str(error)
    assert "account-management:manage" in PROVIDERS["infobip"].permission


def test_infobip_asks_the_accounts_own_base_url() -> None:
    """The request goes to the Base URL typed, with the key as ``App``."""
    spec = PROVIDERS["infobip"]
    method, credentials = DEMO["infobip"]
    base = "https://abcd12.api.infobip.com"
    request = spec.build_request(base, method, credentials)
    assert request.url == f"{base}/account/1/balance"
    assert request.headers["Authorization"] == "App demo-infobip-key"
    assert spec.own_site(base) == spec.hosts[0] == "https://api.infobip.com"


async def test_infobip_shows_no_credit_limit(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """``allowedMinus``'s meaning is undocumented: never shown as a credit limit."""
    standin.respond_next(
        200, b'{"balance": 47.79134, "allowedMinus": 50, "currency": "EUR"}'
    )
    assert await fetch(session, standin, "infobip") == Balance(
        Decimal("47.79134"), "EUR", None
    )


async def test_plivo_postpaid_has_no_credit_to_watch(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """A postpaid account is said to be one, on the Auth ID; never a balance."""
    account = json.loads(fixture_bytes("plivo", "account.json"))
    standin.respond_next(200, json.dumps(account | {"billing_mode": "postpaid"}))
    error = await fetch(session, standin, "plivo")
    assert isinstance(error, PostpaidError)
    assert isinstance(error, NoBalanceError)
    assert error.field == "auth_id"


async def test_plivo_in_dollars_whatever_the_answer_says(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """Credits "in USD": a currency in the answer changes nothing."""
    body = b'{"billing_mode": "prepaid", "cash_credits": "5.00", "currency": "EUR"}'
    standin.respond_next(200, body)
    assert await fetch(session, standin, "plivo") == Balance(Decimal("5.00"), "USD")


@pytest.mark.parametrize(
    "auth_id",
    ["MA1/../x", "MA1?x=1", "MA1#x", "MA 1", "MA1%2F", "MA1/", "\u039c\u03911"],
)
async def test_plivo_auth_id_never_leaves_the_path(
    session: aiohttp.ClientSession, auth_id: str
) -> None:
    """An Auth ID that could change the URL is refused before anything is sent."""
    method, credentials = DEMO["plivo"]
    with pytest.raises(ValueError, match="auth_id"):
        ProviderClient(
            session,
            PROVIDERS["plivo"],
            host="https://example.invalid",
            auth_method=method,
            credentials={**credentials, "auth_id": auth_id},
        )


async def test_plivo_token_logs_in_its_own_auth_id_only(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """Another Auth ID with this token is a rejected login, sent in the path."""
    credentials = DEMO["plivo"][1]
    other = {**credentials, "auth_id": "MAOTHER0123456789ABC"}
    error = await fetch(session, standin, "plivo", credentials=other)
    assert type(error) is AuthenticationError
    assert standin.seen[-1].path == "/v1/Account/MAOTHER0123456789ABC/"
    assert standin.log[-1].outcome == "rejected"


async def test_textmagic_username_and_key_in_their_headers(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """The username goes in ``X-TM-Username``; another username is refused."""
    assert await fetch(session, standin, "textmagic") == SHOWN["textmagic"]
    (seen,) = standin.seen
    assert seen.headers["X-TM-Username"] == "demo"
    assert "Authorization" not in seen.headers
    credentials = DEMO["textmagic"][1]
    other = {**credentials, "username": "someone.else"}
    error = await fetch(session, standin, "textmagic", credentials=other)
    assert type(error) is AuthenticationError


async def test_textmagic_a_burst_stays_within_20_requests_a_second(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """Five checks at once every 100 ms for two minutes, through one client.

    With the declared limiter, TextMagic never sees more than its 20
    requests in any second; what is held back is never sent.
    """
    spec = PROVIDERS["textmagic"]
    method, credentials = DEMO["textmagic"]
    client = ProviderClient(
        session,
        spec,
        host=standin.url,
        auth_method=method,
        credentials=credentials,
        limiter=RateLimiter(spec.rate_limit),
    )

    async def check() -> Balance | ProviderError:
        try:
            return await client.async_get_balance()
        except ProviderError as err:
            return err

    outcomes: list[Balance | ProviderError] = []
    for _ in range(1200):
        outcomes += await asyncio.gather(*(check() for _ in range(5)))
        clock.advance(0.1)
    arrivals = sorted(exchange.at for exchange in standin.log)
    busiest = max(
        bisect_left(arrivals, at + 1.0) - index for index, at in enumerate(arrivals)
    )
    assert 0 < busiest <= 20
    shown = [o for o in outcomes if isinstance(o, Balance)]
    held_back = [o for o in outcomes if not isinstance(o, Balance)]
    assert len(shown) == len(arrivals)
    assert all(isinstance(o, ThrottledError) for o in held_back)
