"""No secret, nor anything derived from one, in messages, reprs or logs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import contextlib
from functools import partial
import json
import logging
from typing import Any
from urllib.parse import quote, quote_plus

import aiohttp
import pytest

from custom_components.sms_credit.providers import (
    PROVIDERS,
    ProviderClient,
    ProviderError,
    RateLimit,
    RateLimiter,
)
from custom_components.sms_credit.providers._parse import header
from custom_components.sms_credit.providers.smsc import smsc_password_hash
from tests.providers.helpers import (
    AnyPathServer,
    FakeClock,
    Reply,
    credentials_for,
    method_ids,
    reachable_texts,
)

SECRET = "S3cret-Pa55-0123456789"
KEY_IN_QUERY = {"mobizon"}  # the only way its documents and SDK send it


def echo(status: int, shape: str) -> Callable[[str], Reply]:
    """An answer that echoes what the request carried, as a careless server might."""

    def reply(carried: str) -> Reply:
        text = json.dumps(f"{carried} {carried.upper()}")[1:-1]
        return status, shape.replace("ECHO", text), {}

    return reply


# Answers in every shape a reader may quote from: JSON messages and codes
# (SMSC's, JSend, ClickSend's envelope, Vonage's, Telnyx's), codes and
# currencies, JSON cut short (a decoder keeps the whole body on its error),
# HTML, and a redirect.
ECHOES = [
    echo(status, shape)
    for status in (200, 401, 403, 500)
    for shape in (
        '{"error": "ECHO", "error_code": 77, "message": "ECHO", "code": 8}',
        '{"status": "error", "message": "ECHO", "code": "ECHO"}',
        '{"response_code": "ECHO", "response_msg": "ECHO"}',
        '{"error-code": "ECHO", "error-code-label": "ECHO", "detail": "ECHO"}',
        '{"errors": [{"code": "ECHO", "title": "ECHO", "detail": "ECHO"}]}',
        '{"balance": "1", "credit": "1", "currency": "ECHO"}',
        '{"error": "ECHO"',
        "<error>ECHO</error>",
    )
]


async def _bad_http_server(reply: bytes) -> tuple[asyncio.Server, str]:
    """A loopback server that answers every request with ``reply`` and closes."""

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        with contextlib.suppress(ConnectionError):
            await reader.read(65536)
            writer.write(reply)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


# Transport faults: broken HTTP (aiohttp keeps the request, headers and all,
# on the exception it raises), a cut-off body, a dropped connection.
BROKEN_REPLIES = [
    b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n1",
    b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"balance"',
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"NOT HTTP AT ALL\r\n\r\n",
    b"",
]


def quick_client(
    session: aiohttp.ClientSession,
    key: str,
    auth_method: str,
    credentials: dict[str, str],
    host: str,
    **kwargs: Any,
) -> ProviderClient:
    """A client of this login at ``host`` that gives up soon (0.3 s)."""
    return ProviderClient(
        session,
        PROVIDERS[key],
        host=host,
        auth_method=auth_method,
        credentials=credentials,
        timeout=0.3,
        **kwargs,
    )


@pytest.mark.parametrize(("key", "auth_method"), method_ids())
async def test_no_secret_leaks(
    session: aiohttp.ClientSession,
    any_path: AnyPathServer,
    clock: FakeClock,
    closed_url: str,
    caplog: pytest.LogCaptureFixture,
    key: str,
    auth_method: str,
) -> None:
    """Every error, whatever the answer or the fault, is free of secrets.

    The secrets are the values of the fields declared secret and the
    ``Authorization`` header sent (Basic: its token too). Of each error,
    everything reachable is searched (cause, context, args, attributes):
    aiohttp's and the JSON decoder's errors keep the request's headers or
    the answer's body, so neither may hang on ours.
    """
    caplog.set_level(logging.DEBUG)
    spec = PROVIDERS[key]
    method = spec.auth_method(auth_method)
    credentials = credentials_for(method, SECRET)
    secrets = {credentials[f.key] for f in method.fields if f.secret}
    request = spec.build_request(any_path.url, auth_method, credentials)
    authorization = header(request.headers, "Authorization")
    if authorization:
        secrets |= {authorization, authorization.split()[-1]}

    client = partial(quick_client, session, key, auth_method, credentials)
    texts: list[str] = [repr(client(any_path.url))]
    errors: list[ProviderError] = []

    async def collect(target: ProviderClient) -> None:
        with pytest.raises(ProviderError) as err:
            await target.async_get_balance()
        errors.append(err.value)
        texts.extend(reachable_texts(err.value))

    any_path.replies.extend(ECHOES)
    for _ in ECHOES:
        await collect(client(any_path.url))
    assert any(secret in any_path.seen[0] for secret in secrets)  # really sent
    assert any("**REDACTED**" in text for text in texts)

    await collect(client(closed_url))
    any_path.running.clear()
    await collect(client(any_path.url))
    any_path.running.set()
    for reply in BROKEN_REPLIES:
        server, url = await _bad_http_server(reply)
        async with server:
            await collect(client(url))
    limiter = RateLimiter(RateLimit(1, 60, 1), history=[clock()])
    await collect(client(any_path.url, limiter=limiter))

    assert len(errors) == len(ECHOES) + 3 + len(BROKEN_REPLIES)
    # The server's own access log is the provider's, not ours: only where
    # the provider documents the key in the query (Mobizon) may it hold it.
    ours = [
        caplog.handler.format(r)
        for r in caplog.records
        if not (key in KEY_IN_QUERY and r.name == "aiohttp.access")
    ]
    for text in [*texts, *ours]:
        for secret in secrets:
            assert secret not in text
    assert all(
        record.levelno <= logging.DEBUG
        for record in caplog.records
        if record.name.startswith("custom_components")
    )


def test_the_md5_is_what_smsc_guards() -> None:
    """SMSC stores (and sends) the MD5 of the password: a declared secret."""
    assert (
        smsc_password_hash(SECRET)
        == credentials_for(PROVIDERS["smsc"].auth_method("password"), SECRET)[
            "password_md5"
        ]
    )


ODD_SECRET = " S3cret+Pa55/0123=456 "  # spaces around; characters a URL encodes


@pytest.mark.parametrize(("key", "auth_method"), method_ids())
async def test_a_secret_as_a_url_carries_it_never_shows(
    session: aiohttp.ClientSession,
    any_path: AnyPathServer,
    closed_url: str,
    caplog: pytest.LogCaptureFixture,
    key: str,
    auth_method: str,
) -> None:
    """Pasted with spaces, or with ``+ / =`` a query encodes: no form of it shows.

    The answer echoes what the request carried (its URL too); the log and
    every error are searched for the secret as typed, trimmed and encoded.
    """
    caplog.set_level(logging.DEBUG)
    spec = PROVIDERS[key]
    credentials = credentials_for(spec.auth_method(auth_method), ODD_SECRET)
    any_path.replies.append(echo(500, '{"message": "ECHO", "error": "ECHO"}'))
    texts: list[str] = []
    for host in (any_path.url, closed_url):
        client = quick_client(session, key, auth_method, credentials, host)
        with pytest.raises(ProviderError) as err:
            await client.async_get_balance()
        texts.extend(reachable_texts(err.value))
    assert any_path.seen  # really sent
    texts.extend(
        caplog.handler.format(r)
        for r in caplog.records
        if not (key in KEY_IN_QUERY and r.name == "aiohttp.access")
    )
    core = ODD_SECRET.strip()
    for text in texts:
        for form in (core, quote(core, safe=""), quote_plus(core)):
            assert form.casefold() not in text.casefold(), (form, text[:200])
