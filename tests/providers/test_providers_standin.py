"""The stand-in server itself: formats, control API, command line."""

from __future__ import annotations

import base64
from decimal import Decimal

import aiohttp
from aiohttp import web
import pytest

from custom_components.sms_credit.providers import (
    PROVIDERS,
    AuthenticationError,
    Balance,
    IpBlockedError,
    MalformedResponseError,
    ProviderError,
    RateLimitedError,
)
from custom_components.sms_credit.providers.smsc import smsc_password_hash
from tests import standin as standin_module
from tests.providers.helpers import fixture_bytes, read
from tests.standin import AGILE_PATH, SMSC_PATH, Account, StandinProvider

SMSC_LOGIN = {"login": "demo", "psw": "demo-password"}


def parse_smsc(status: int, body: bytes) -> Balance:
    """Read an SMSC answer as the client does."""
    return read(PROVIDERS["smsc"], status, body)


def parse_agile(status: int, body: bytes) -> Balance:
    """Read an Agile answer as the client does."""
    return read(PROVIDERS["agile"], status, body)


async def smsc_raw(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    params: dict[str, str],
    *,
    method: str = "GET",
) -> tuple[int, bytes]:
    """Ask the stand-in's SMSC endpoint directly."""
    url = f"{standin.url}{SMSC_PATH}"
    if method == "GET":
        request = session.get(url, params=params)
    else:
        request = session.post(url, data=params)
    async with request as response:
        return response.status, await response.read()


@pytest.mark.parametrize("fmt", ["0", "1", "2", "3"])
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_smsc_formats(
    session: aiohttp.ClientSession, standin: StandinProvider, fmt: str, method: str
) -> None:
    """Every format, both methods, hold the configured balance; JSON is read."""
    standin.smsc_accounts["demo"].credit = "250"
    params = {**SMSC_LOGIN, "fmt": fmt, "cur": "1"}
    status, body = await smsc_raw(session, standin, params, method=method)
    assert b"100.50" in body
    if fmt == "3":
        expected = Balance(Decimal("100.50"), "RUB", Decimal(250))
        assert parse_smsc(status, body) == expected


@pytest.mark.parametrize("fmt", ["0", "1", "2", "3", "7"])
async def test_smsc_formats_without_currency(
    session: aiohttp.ClientSession, standin: StandinProvider, fmt: str
) -> None:
    """Without ``cur=1`` there is no currency: the reader refuses the answer."""
    status, body = await smsc_raw(session, standin, {**SMSC_LOGIN, "fmt": fmt})
    assert b"100.50" in body
    with pytest.raises(MalformedResponseError):
        parse_smsc(status, body)


@pytest.mark.parametrize(
    ("fmt", "fixture"),
    [
        ("0", "error_fmt0.txt"),
        ("1", "error_fmt1.txt"),
        ("2", "error_fmt2.xml"),
        ("3", "error_fmt3_2.json"),
    ],
)
async def test_smsc_errors_match_documented_shapes(
    session: aiohttp.ClientSession, standin: StandinProvider, fmt: str, fixture: str
) -> None:
    """The stand-in's error 2 has the shape of the documented sample."""
    params = {"login": "demo", "psw": "bad", "fmt": fmt}
    _, body = await smsc_raw(session, standin, params)
    assert b"".join(body.split()) == b"".join(fixture_bytes("smsc", fixture).split())
    if fmt == "3":
        with pytest.raises(AuthenticationError):
            parse_smsc(200, body)


async def test_smsc_errors(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """Missing parameters, MD5 password, blocked IP."""
    _, body = await smsc_raw(session, standin, {"login": "demo", "fmt": "3"})
    with pytest.raises(ProviderError, match="code 1"):
        parse_smsc(200, body)
    md5 = smsc_password_hash("demo-password")
    _, body = await smsc_raw(
        session, standin, {"login": "demo", "psw": md5, "cur": "1"}
    )
    assert body == b"100.50,RUR"
    standin.block(seconds=10)
    _, body = await smsc_raw(session, standin, {"apikey": "x", "fmt": "3"})
    with pytest.raises(IpBlockedError):
        parse_smsc(200, body)


async def test_agile_errors(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """No credentials, a broken Basic header, another scheme."""
    url = f"{standin.url}{AGILE_PATH}"
    for headers in (
        {},
        {"Authorization": "Basic !!!"},
        {"Authorization": "Bearer " + base64.b64encode(b"demo:demo-password").decode()},
    ):
        async with session.get(url, headers=headers) as response:
            assert response.status == 401
            body = await response.read()
        with pytest.raises(AuthenticationError):
            parse_agile(response.status, body)


async def test_control_api(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """State and forced answers can be set over HTTP."""
    control = f"{standin.url}/_standin"
    changes = {
        "reset": True,
        "smsc": {"demo": {"balance": "7.00", "currency": "KZT"}},
        "agile": {"new": {"password": "pw", "balance": "3.5"}},
        "allowed_ips": None,
        "smsc_max_per_minute": 5,
        "delay": 0,
    }
    async with session.post(f"{control}/state", json=changes) as response:
        state = await response.json()
    assert state["smsc"]["demo"]["balance"] == "7.00"
    assert state["agile"]["new"]["password"] == "pw"
    assert standin.agile_accounts["new"] == Account("pw", balance="3.5")
    assert standin.smsc_max_per_minute == 5

    forced = {"status": 503, "body": "down", "headers": {"X-A": "b"}, "count": 2}
    async with session.post(f"{control}/respond_next", json=forced) as response:
        assert (await response.json())["queued_answers"] == 2
    for _ in range(2):
        async with session.get(f"{standin.url}{AGILE_PATH}") as response:
            assert response.status == 503
            assert response.headers["X-A"] == "b"
            assert await response.read() == b"down"

    async with session.get(f"{control}/state") as response:
        assert (await response.json())["requests"] == {AGILE_PATH: 2}
    for path, payload in (("state", "[1]"), ("respond_next", "{}"), ("state", "x")):
        async with session.post(f"{control}/{path}", data=payload) as response:
            assert response.status == 400


async def test_block_switch(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """``blocked`` makes SMSC block an IP at once, and lifts it with 0."""
    control = f"{standin.url}/_standin/state"
    async with session.post(control, json={"blocked": {"127.0.0.1": 600}}) as response:
        assert (await response.json())["blocked"] == {"127.0.0.1": 600}
    _status, body = await smsc_raw(session, standin, {**SMSC_LOGIN, "fmt": "1"})
    assert body == b"0,-4"
    assert standin.during_block["127.0.0.1"] == 1
    async with session.post(control, json={"blocked": {"127.0.0.1": 0}}) as response:
        assert (await response.json())["blocked"] == {}
    _status, body = await smsc_raw(session, standin, {**SMSC_LOGIN, "fmt": "1"})
    assert body == b"100.50"


async def test_delay(session: aiohttp.ClientSession, standin: StandinProvider) -> None:
    """A configured delay holds the answer."""
    standin.delay = 0.05
    async with session.get(f"{standin.url}{AGILE_PATH}") as response:
        assert response.status == 401


async def test_agile_rate_limit_retry_after(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """429 with a whole-second ``Retry-After``."""
    standin.agile_max_per_minute = 0
    auth = {"X-Api-Key": "demo-agile-key"}
    async with session.get(f"{standin.url}{AGILE_PATH}", headers=auth) as response:
        assert response.status == 429
        # With no request in the window the wait is a full minute.
        assert response.headers["Retry-After"] == "60"
    with pytest.raises(RateLimitedError):
        read(PROVIDERS["agile"], 429, b"", dict(response.headers))


def test_main(monkeypatch: pytest.MonkeyPatch) -> None:
    """``python -m tests.standin`` serves both providers on the given port."""
    calls: list[tuple[web.Application, str, int]] = []

    def fake_run_app(app: web.Application, *, host: str, port: int) -> None:
        calls.append((app, host, port))

    monkeypatch.setattr(web, "run_app", fake_run_app)
    standin_module.main(["--port", "8123"])
    ((app, host, port),) = calls
    assert (host, port) == ("127.0.0.1", 8123)
    paths = {resource.canonical for resource in app.router.resources()}
    assert {SMSC_PATH, AGILE_PATH, "/_standin/state"} <= paths


async def test_control_api_reaches_every_provider(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """The control API changes any provider's accounts and limits."""
    changes = {
        "telnyx": {"demo": {"denied": True}},
        "twilio": {"AC0123456789abcdef0123456789abcdef": {"sub_account": True}},
        "elks46": {"new": {"password": "pw", "balance": "5"}},
        "max_per_minute": {"clicksend": 1},
    }
    async with session.post(f"{standin.url}/_standin/state", json=changes) as answer:
        state = await answer.json()
    assert state["telnyx"]["demo"]["denied"] is True
    assert state["twilio"]["AC0123456789abcdef0123456789abcdef"]["sub_account"]
    assert state["elks46"]["new"]["balance"] == "5"
    assert state["max_per_minute"]["clicksend"] == 1
    assert standin.accounts["elks46"]["new"].password == "pw"
    standin.change_secret("seven", "demo", api_key="rotated")
    async with session.get(
        f"{standin.url}/api/balance", headers={"X-Api-Key": "demo-seven-key"}
    ) as answer:
        assert await answer.text() == "900"  # the old key: rejected
    assert (standin.log[-1].login, standin.log[-1].outcome) == ("demo", "rejected")
