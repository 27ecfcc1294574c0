"""No secret, nor anything derived from one, in messages, reprs or logs."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging

import aiohttp
import pytest

from custom_components.sms_credit.providers import (
    PROVIDERS,
    ProviderClient,
    ProviderError,
    RateLimit,
    RateLimiter,
    smsc_password_hash,
)
from tests.providers.helpers import FakeClock, reachable_texts
from tests.standin import Account, StandinProvider

PASSWORD = "S3cret-Pa55"
API_KEY = "key-0123456789abcdef"
MD5 = smsc_password_hash(PASSWORD)
BASIC = base64.b64encode(f"leaky:{PASSWORD}".encode()).decode()

# Provider, auth method, credentials, and the secrets that client holds.
CASES = [
    ("smsc", "password", {"username": "leaky", "password": PASSWORD}, (PASSWORD, MD5)),
    ("smsc", "password", {"username": "leaky", "password_md5": MD5}, (MD5,)),
    ("smsc", "api_key", {"username": "leaky", "api_key": API_KEY}, (API_KEY,)),
    (
        "agile",
        "password",
        {"username": "leaky", "password": PASSWORD},
        (PASSWORD, BASIC),
    ),
    ("agile", "api_key", {"username": "leaky", "api_key": API_KEY}, (API_KEY,)),
]

# Answers that echo the secrets back, as a careless server might.
ECHOES = {
    "smsc": [
        (200, f'{{"error": "bad psw {MD5} {PASSWORD}", "error_code": 77}}'),
        (200, f"ERROR = 66 (apikey {API_KEY} unknown)"),
        (200, f'{{"balance": "1", "currency": "{API_KEY}"}}'),
        (500, f"<error>{PASSWORD}</error><error_code>{MD5}</error_code>"),
        # Malformed: a JSON parser keeps the whole body on its error.
        (200, f'{{"error": "{PASSWORD} {MD5} {API_KEY}"'),
        (500, f'{{"error": "{PASSWORD} {MD5} {API_KEY}"'),
        (200, f'{{"balance": "1", "currency": "{API_KEY.upper()}"}}'),
    ],
    "agile": [
        (500, f'{{"status": "error", "message": "key {API_KEY} bad", "code": 8}}'),
        (401, f'{{"status": "error", "message": "{PASSWORD} {BASIC}", "code": 1}}'),
        (418, f'{{"message": "Basic {BASIC}"}}'),
        (200, f'{{"message": "{API_KEY} {PASSWORD} {BASIC}"'),
        (401, f'{{"message": "{API_KEY} {PASSWORD} {BASIC}"'),
    ],
}


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


@pytest.mark.parametrize("case", CASES)
async def test_no_secret_leaks(
    session: aiohttp.ClientSession,
    standin: StandinProvider,
    clock: FakeClock,
    closed_url: str,
    caplog: pytest.LogCaptureFixture,
    case: tuple[str, str, dict[str, str], tuple[str, ...]],
) -> None:
    """Every outcome, success or error, is free of secrets.

    Of each error, everything reachable is searched (cause, context, args,
    attributes): aiohttp's and the JSON decoder's errors keep the request's
    headers or the answer's body, so neither may hang on ours.
    """
    provider, auth_method, credentials, secrets = case
    caplog.set_level(logging.DEBUG)
    account = Account(PASSWORD, api_key=API_KEY)
    standin.smsc_accounts["leaky"] = account
    standin.agile_accounts["leaky"] = account

    def client(host: str, **kwargs: object) -> ProviderClient:
        return PROVIDERS[provider].create_client(
            session,
            host=host,
            auth_method=auth_method,
            credentials=credentials,
            timeout=0.3,
            **kwargs,  # type: ignore[arg-type]
        )

    texts: list[str] = [repr(client(standin.url))]
    await client(standin.url).async_get_balance()

    errors: list[ProviderError] = []

    async def collect(target: ProviderClient) -> None:
        with pytest.raises(ProviderError) as err:
            await target.async_get_balance()
        errors.append(err.value)
        texts.extend(reachable_texts(err.value))

    for status, body in ECHOES[provider]:
        standin.respond_next(status, body)
        await collect(client(standin.url))
    assert any("**REDACTED**" in text for text in texts)

    standin.agile_accounts["leaky"] = Account("other", api_key="other")
    standin.smsc_accounts["leaky"] = Account("other", api_key="other")
    await collect(client(standin.url))
    await collect(client(closed_url))
    standin.pause()
    await collect(client(standin.url))
    standin.resume()
    for reply in BROKEN_REPLIES:
        server, url = await _bad_http_server(reply)
        async with server:
            await collect(client(url))
    limiter = RateLimiter(RateLimit(1, 60, 1), clock=clock, history=[clock()])
    await collect(client(standin.url, limiter=limiter))

    assert len(errors) == len(ECHOES[provider]) + 4 + len(BROKEN_REPLIES)
    for text in [*texts, caplog.text]:
        for secret in secrets:
            assert secret not in text
    assert all(
        record.levelno <= logging.DEBUG
        for record in caplog.records
        if record.name.startswith("custom_components")
    )


def test_hash_and_token_are_what_we_guard() -> None:
    """The derived secrets really are what the clients send."""
    assert len(MD5) == 32
    assert base64.b64decode(BASIC).decode() == f"leaky:{PASSWORD}"
