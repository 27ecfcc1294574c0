"""Fixtures for the provider library tests: a fake clock, servers to ask."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import socket
import time
from types import SimpleNamespace

import aiohttp
from aiohttp import web
from hypothesis import given, settings, strategies as st
import pytest

from custom_components.sms_credit.providers import limiter
from tests.providers.helpers import AnyPathServer, FakeClock
from tests.standin import StandinProvider


@settings(database=None, max_examples=1)
@given(st.none())
def _make_hypothesis_prng(_: None) -> None:
    """Nothing: running it makes Hypothesis's own PRNG."""


def pytest_collection_finish() -> None:
    """Let Hypothesis make its PRNG before Home Assistant's plugin freezes the GC.

    That plugin calls ``gc.freeze()`` before each test module; the thread-local
    holding the PRNG Hypothesis makes on its first test is then hidden from
    ``gc.get_referrers()``, and Hypothesis warns that the PRNG "could be
    garbage collected" (it could not). Made before any test, it is not hidden.
    """
    _make_hypothesis_prng()


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets (pytest-socket, as Home Assistant's plugin sets it up).

    Connections stay restricted to 127.0.0.1 where the plugin allows only
    that host; the servers here bind 127.0.0.1 only.
    """


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """A fake clock shared by the stand-in server and the limiters."""
    fake = FakeClock()
    monkeypatch.setattr(
        limiter, "time", SimpleNamespace(monotonic=fake, time=time.time)
    )
    return fake


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


@pytest.fixture
async def any_path() -> AsyncIterator[AnyPathServer]:
    """A server on 127.0.0.1 that answers every method and path as told."""
    server = AnyPathServer()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    server.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield server
    server.running.set()
    await asyncio.sleep(0)
    await runner.cleanup()
