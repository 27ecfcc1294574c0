"""The shared HTTP plumbing: size cap, timeouts, network errors, redirects."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import aiohttp
from aiohttp import web
import pytest

from custom_components.sms_credit.providers import (
    AgileClient,
    Balance,
    MalformedResponseError,
    ProviderConnectionError,
    ProviderError,
    ProviderServerError,
    ProviderTimeoutError,
    parse_agile_response,
)
from custom_components.sms_credit.providers._http import HttpProviderClient
from custom_components.sms_credit.providers._parse import MAX_ANSWER_BYTES
from tests.standin import AGILE_PATH, StandinProvider

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_client(
    session: aiohttp.ClientSession, host: str, timeout: float = 10.0
) -> AgileClient:
    """An Agile client for the stand-in's ``demo`` account."""
    return AgileClient(
        session,
        host=host,
        auth_method="api_key",
        credentials={"username": "demo", "api_key": "demo-agile-key"},
        timeout=timeout,
    )


@pytest.fixture
async def custom_server() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Serve one handler at the Agile path on 127.0.0.1; return its URL."""
    runners: list[web.AppRunner] = []

    async def serve(handler: Handler) -> str:
        app = web.Application()
        app.router.add_get(AGILE_PATH, handler)
        runner = web.AppRunner(app, shutdown_timeout=1.0)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield serve
    for runner in runners:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("size", "ok"), [(MAX_ANSWER_BYTES, True), (MAX_ANSWER_BYTES + 1, False)]
)
async def test_body_cap(
    session: aiohttp.ClientSession, standin: StandinProvider, size: int, ok: bool
) -> None:
    """Up to 64 KiB is read; one byte more is refused (Content-Length known)."""
    body = b'{"credit": 1}'
    standin.respond_next(200, body + b" " * (size - len(body)))
    client = make_client(session, standin.url)
    if ok:
        assert await client.async_get_balance() == Balance(Decimal(1), "EUR")
        return
    with pytest.raises(MalformedResponseError, match="too large"):
        await client.async_get_balance()


@pytest.mark.parametrize(
    ("size", "ok"), [(MAX_ANSWER_BYTES, True), (MAX_ANSWER_BYTES + 1, False)]
)
async def test_body_cap_chunked(
    session: aiohttp.ClientSession,
    custom_server: Callable[[Handler], Awaitable[str]],
    size: int,
    ok: bool,
) -> None:
    """The cap holds for a chunked body of unknown length too."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b'{"credit": 2}')
        remaining = size - 13
        while remaining > 0:
            chunk = min(remaining, 5000)
            await response.write(b" " * chunk)
            remaining -= chunk
        await response.write_eof()
        return response

    client = make_client(session, await custom_server(handler))
    if ok:
        assert (await client.async_get_balance()).amount == 2
        return
    with pytest.raises(MalformedResponseError, match="too large"):
        await client.async_get_balance()


async def test_timeout(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """No answer within the timeout is a timeout error."""
    standin.pause()
    with pytest.raises(ProviderTimeoutError, match=r"within 0\.2 s"):
        await make_client(session, standin.url, timeout=0.2).async_get_balance()


async def test_connection_refused(
    session: aiohttp.ClientSession, closed_url: str
) -> None:
    """Nothing listening is a connection error."""
    with pytest.raises(ProviderConnectionError, match="cannot reach"):
        await make_client(session, closed_url).async_get_balance()


async def test_connection_dropped(
    session: aiohttp.ClientSession,
    custom_server: Callable[[Handler], Awaitable[str]],
) -> None:
    """A server that hangs up mid-answer is a connection error."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "100"})
        await response.prepare(request)
        await response.write(b'{"credit"')
        assert request.transport is not None
        request.transport.close()
        return response

    with pytest.raises(ProviderConnectionError):
        await make_client(session, await custom_server(handler)).async_get_balance()


async def test_invalid_host(session: aiohttp.ClientSession) -> None:
    """A host that is not a URL fails as a connection error, not a crash."""
    with pytest.raises(ProviderError):
        await make_client(session, "not a url").async_get_balance()


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_redirect_not_followed(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    status: int,
) -> None:
    """A redirect could carry the API key elsewhere: it is never followed."""
    standin.respond_next(
        status, headers={"Location": f"{standin.url}{AGILE_PATH}?next=1"}
    )
    with pytest.raises(ProviderServerError, match=f"redirect \\(HTTP {status}\\)"):
        await make_client(session, standin.url).async_get_balance()
    assert len(standin.seen) == 1


async def test_unexpected_exception_is_wrapped(
    session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any other exception becomes a plain ``ProviderError``, not chained to it."""
    client = make_client(session, "http://127.0.0.1:1")

    async def explode() -> Balance:
        msg = "boom demo-agile-key"
        raise RuntimeError(msg)

    monkeypatch.setattr(client, "_async_fetch_balance", explode)
    with pytest.raises(ProviderError) as err:
        await client.async_get_balance()
    assert type(err.value) is ProviderError
    assert str(err.value) == "unexpected error (RuntimeError)"
    assert err.value.__cause__ is None
    assert err.value.__context__ is None


class EchoProvider(HttpProviderClient):
    """A third provider in a dozen lines: the shape every module follows."""

    def __init__(self, session: aiohttp.ClientSession, **kwargs: Any) -> None:
        """Require a login and a token."""
        super().__init__(session, **kwargs)
        self._require("username", "api_key")

    async def _async_fetch_balance(self) -> Balance:
        response = await self._async_request(
            "GET",
            f"{self.host}{AGILE_PATH}",
            headers={"X-Api-Key": self._credentials["api_key"]},
        )
        return parse_agile_response(response.status, response.body, response.headers)


async def test_third_provider(
    session: aiohttp.ClientSession, standin: StandinProvider
) -> None:
    """The base class does the plumbing and the scrubbing for a new provider."""
    credentials = {"username": "demo", "api_key": "demo-agile-key"}
    client = EchoProvider(
        session, host=standin.url, auth_method="api_key", credentials=credentials
    )
    assert (await client.async_get_balance()).currency == "EUR"
    standin.respond_next(500, b'{"message": "demo-agile-key?", "code": 8}')
    with pytest.raises(ProviderServerError) as err:
        await client.async_get_balance()
    assert "demo-agile-key" not in str(err.value)
    assert "**REDACTED**?" in str(err.value)
