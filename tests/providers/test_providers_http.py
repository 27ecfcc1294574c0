"""The one client: size cap, timeouts, network errors, redirects, a new provider.

The client is driven through ``SPEC``, a provider declared here only (an API
key in a header, a JSON body), as a contributor would add one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import replace
from decimal import Decimal

import aiohttp
from aiohttp import web
import pytest

from custom_components.sms_credit.providers import (
    API_KEY_LOGIN,
    PROVIDERS,
    AuthenticationError,
    Balance,
    MalformedResponseError,
    ProviderClient,
    ProviderConnectionError,
    ProviderError,
    ProviderServerError,
    ProviderSpec,
    ProviderTimeoutError,
    RateLimitedError,
    Request,
    Response,
    Site,
)
from custom_components.sms_credit.providers._parse import (
    MAX_ANSWER_BYTES,
    describe,
    json_answer,
    parse_amount,
    parse_currency,
)
from tests.providers.helpers import AnyPathServer, credentials_for, spec_ids

type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PATH = "/v1/balance"


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:
    """The API key in a header."""
    assert auth_method == "api_key"
    return Request("GET", f"{base_url}{PATH}", {"X-Api-Key": creds["api_key"]})


def read_answer(response: Response) -> Balance:
    """``{"balance": "1.5", "currency": "EUR"}``, or an error by status."""
    data = json_answer(response)
    if response.status == 401:
        raise AuthenticationError("invalid API key")
    if not 200 <= response.status < 300:
        message = describe(data.get("message"))
        raise ProviderServerError(f"HTTP {response.status}: {message}")
    balance = parse_amount(data.get("balance"), "balance")
    return Balance(balance, parse_currency(data.get("currency")))


SPEC = ProviderSpec(
    key="example",
    name="Example SMS",
    sites=(Site("https://api.example.com"),),
    auth_methods=(API_KEY_LOGIN,),
    panel_url="https://example.com/account",
    build_request=build_request,
    read_answer=read_answer,
)
CREDENTIALS = {"username": "demo", "api_key": "demo-example-key"}


def make_client(
    session: aiohttp.ClientSession, host: str, timeout: float = 10.0
) -> ProviderClient:
    """A client of the example provider."""
    return ProviderClient(
        session,
        SPEC,
        host=host,
        auth_method="api_key",
        credentials=CREDENTIALS,
        timeout=timeout,
    )


def ok(size: int = 0) -> bytes:
    """A good answer, padded to ``size`` bytes."""
    body = b'{"balance": "1.5", "currency": "EUR"}'
    return body + b" " * (size - len(body))


@pytest.fixture
async def custom_server() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Serve one handler at the example path on 127.0.0.1; return its URL."""
    runners: list[web.AppRunner] = []

    async def serve(handler: Handler) -> str:
        app = web.Application()
        app.router.add_get(PATH, handler)
        runner = web.AppRunner(app, shutdown_timeout=1.0)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{runner.addresses[0][1]}"

    yield serve
    for runner in runners:
        await runner.cleanup()


async def test_example_provider(
    session: aiohttp.ClientSession, any_path: AnyPathServer
) -> None:
    """The client does the plumbing and the scrubbing for a new provider."""
    client = make_client(session, any_path.url)
    any_path.replies.append((200, ok(), {}))
    assert await client.async_get_balance() == Balance(Decimal("1.5"), "EUR")
    assert "X-Api-Key" not in any_path.seen[0]  # header names are not sent back
    assert "demo-example-key" in any_path.seen[0]
    any_path.replies.append((500, '{"message": "demo-example-key?"}', {}))
    with pytest.raises(ProviderServerError) as err:
        await client.async_get_balance()
    assert "demo-example-key" not in str(err.value)
    assert "**REDACTED**?" in str(err.value)
    any_path.replies.append((401, b"", {}))
    with pytest.raises(AuthenticationError):
        await client.async_get_balance()
    any_path.replies.append((429, b"", {"Retry-After": "30"}))
    with pytest.raises(RateLimitedError) as limited:
        await client.async_get_balance()
    assert limited.value.retry_after == 30


async def test_fixed_currency_applied(
    session: aiohttp.ClientSession, any_path: AnyPathServer
) -> None:
    """A declared currency replaces whatever the reader left."""
    spec = replace(SPEC, currency="CHF")
    client = ProviderClient(
        session, spec, host=any_path.url, auth_method="api_key", credentials=CREDENTIALS
    )
    any_path.replies.append((200, ok(), {}))
    assert (await client.async_get_balance()).currency == "CHF"


@pytest.mark.parametrize(
    ("size", "ok_size"), [(MAX_ANSWER_BYTES, True), (MAX_ANSWER_BYTES + 1, False)]
)
async def test_body_cap(
    session: aiohttp.ClientSession, any_path: AnyPathServer, size: int, ok_size: bool
) -> None:
    """Up to 64 KiB is read; one byte more is refused (Content-Length known)."""
    any_path.replies.append((200, ok(size), {}))
    client = make_client(session, any_path.url)
    if ok_size:
        assert (await client.async_get_balance()).amount == Decimal("1.5")
        return
    with pytest.raises(MalformedResponseError, match="too large"):
        await client.async_get_balance()


@pytest.mark.parametrize(
    ("size", "ok_size"), [(MAX_ANSWER_BYTES, True), (MAX_ANSWER_BYTES + 1, False)]
)
async def test_body_cap_chunked(
    session: aiohttp.ClientSession,
    custom_server: Callable[[Handler], Awaitable[str]],
    size: int,
    ok_size: bool,
) -> None:
    """The cap holds for a chunked body of unknown length too."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(ok())
        remaining = size - len(ok())
        while remaining > 0:
            chunk = min(remaining, 5000)
            await response.write(b" " * chunk)
            remaining -= chunk
        await response.write_eof()
        return response

    client = make_client(session, await custom_server(handler))
    if ok_size:
        assert (await client.async_get_balance()).amount == Decimal("1.5")
        return
    with pytest.raises(MalformedResponseError, match="too large"):
        await client.async_get_balance()


@pytest.mark.parametrize("key", spec_ids())
@pytest.mark.parametrize("status", [200, 401, 500])
async def test_larger_than_any_answer_is_refused_unread(
    session: aiohttp.ClientSession, any_path: AnyPathServer, key: str, status: int
) -> None:
    """For every provider, a body over the cap is malformed, whatever it holds."""
    spec = PROVIDERS[key]
    method = spec.auth_methods[0]
    client = ProviderClient(
        session,
        spec,
        host=any_path.url,
        auth_method=method.key,
        credentials=credentials_for(method),
    )
    body = b'{"credit": 1, "balance": "1", "currency": "EUR"}'
    any_path.replies.append((status, body + b" " * MAX_ANSWER_BYTES, {}))
    with pytest.raises(MalformedResponseError, match="too large"):
        await client.async_get_balance()


async def test_timeout(session: aiohttp.ClientSession, any_path: AnyPathServer) -> None:
    """No answer within the timeout is a timeout error."""
    any_path.running.clear()
    with pytest.raises(ProviderTimeoutError, match=r"within 0\.2 s"):
        await make_client(session, any_path.url, timeout=0.2).async_get_balance()


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
        await response.write(b'{"balance"')
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
    session: aiohttp.ClientSession, any_path: AnyPathServer, status: int
) -> None:
    """A redirect could carry the API key elsewhere: it is never followed."""
    any_path.replies.append((status, b"", {"Location": f"{any_path.url}{PATH}?n=1"}))
    with pytest.raises(ProviderServerError, match=f"redirect \\(HTTP {status}\\)"):
        await make_client(session, any_path.url).async_get_balance()
    assert len(any_path.seen) == 1


async def test_unexpected_exception_is_wrapped(
    session: aiohttp.ClientSession, any_path: AnyPathServer
) -> None:
    """Any other exception becomes a plain ``ProviderError``, not chained to it."""

    def explode(response: Response) -> Balance:
        msg = f"boom demo-example-key {response.status}"
        raise RuntimeError(msg)

    spec = replace(SPEC, read_answer=explode)
    client = ProviderClient(
        session, spec, host=any_path.url, auth_method="api_key", credentials=CREDENTIALS
    )
    any_path.replies.append((200, ok(), {}))
    with pytest.raises(ProviderError) as err:
        await client.async_get_balance()
    assert type(err.value) is ProviderError
    assert str(err.value) == "unexpected error (RuntimeError)"
    assert err.value.__cause__ is None
    assert err.value.__context__ is None


@pytest.mark.parametrize(
    ("auth_method", "credentials", "message"),
    [
        ("api_key", {"username": "demo"}, "'api_key'"),
        ("api_key", {"username": " ", "api_key": "k"}, "'username'"),
        ("password", CREDENTIALS, "unknown auth method"),
    ],
)
def test_credentials_checked_against_the_declaration(
    session: aiohttp.ClientSession,
    auth_method: str,
    credentials: dict[str, str],
    message: str,
) -> None:
    """Every declared field is required, before any request is built."""
    with pytest.raises(ValueError, match=message):
        ProviderClient(
            session,
            SPEC,
            host=SPEC.hosts[0],
            auth_method=auth_method,
            credentials=credentials,
        )
