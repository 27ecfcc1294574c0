"""Fixtures for the provider library tests: a fake clock, the stand-in server."""

from __future__ import annotations

from collections.abc import AsyncIterator
import socket

import aiohttp
import pytest

from tests.providers.helpers import FakeClock
from tests.standin import StandinProvider


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets (pytest-socket, as Home Assistant's plugin sets it up).

    Connections stay restricted to 127.0.0.1 where the plugin allows only
    that host; the servers here bind 127.0.0.1 only.
    """


@pytest.fixture
def clock() -> FakeClock:
    """A fake clock shared by the stand-in server and the limiters."""
    return FakeClock()


@pytest.fixture
async def standin(clock: FakeClock) -> AsyncIterator[StandinProvider]:
    """A stand-in provider server on 127.0.0.1."""
    provider = StandinProvider(clock=clock)
    await provider.start()
    yield provider
    await provider.close()


@pytest.fixture
async def standin2(clock: FakeClock) -> AsyncIterator[StandinProvider]:
    """A second stand-in server (a backup host)."""
    provider = StandinProvider(clock=clock)
    await provider.start()
    yield provider
    await provider.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """An aiohttp session, closed after the test."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def closed_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
