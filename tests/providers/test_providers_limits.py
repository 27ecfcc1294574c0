"""The rate limiter in front of real requests: what is refused is never sent."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from custom_components.sms_credit.providers import (
    PROVIDERS,
    AgileClient,
    LimiterRegistry,
    RateLimit,
    RateLimiter,
    SmscClient,
    ThrottledError,
    limiter_key,
)
from tests.providers.helpers import FakeClock
from tests.standin import AGILE_PATH, SMSC_PATH, StandinProvider

SMSC_LIMIT = PROVIDERS["smsc"].rate_limit


def smsc(
    session: aiohttp.ClientSession, standin: StandinProvider, limiter: RateLimiter
) -> SmscClient:
    """A client for the stand-in's ``demo`` SMSC account."""
    return SmscClient(
        session,
        host=standin.url,
        auth_method="password",
        credentials={"username": "demo", "password": "demo-password"},
        limiter=limiter,
        backup_hosts=(),
    )


async def test_eleventh_request_in_a_minute_is_not_sent(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """Ten requests pass; the 11th inside 60 s is refused before sending."""
    start = clock()
    client = smsc(session, standin, RateLimiter(SMSC_LIMIT, clock=clock))
    for _ in range(10):
        await client.async_get_balance()
        clock.advance(1)
    clock.now = start + 9.5
    with pytest.raises(ThrottledError) as err:
        await client.async_get_balance()
    assert err.value.retry_after == pytest.approx(50.5)
    assert standin.requests[SMSC_PATH] == 10


async def test_sliding_window_expiry(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """Each slot frees exactly one period after its request started."""
    limiter = RateLimiter(SMSC_LIMIT, clock=clock)
    client = smsc(session, standin, limiter)
    for _ in range(10):
        await client.async_get_balance()
        clock.advance(6)
    # Now at +60: the first request (at +0) just left the window.
    assert limiter.next_allowed_in() == 0
    await client.async_get_balance()
    with pytest.raises(ThrottledError) as err:
        await client.async_get_balance()
    assert err.value.retry_after == pytest.approx(6)
    clock.advance(6)
    await client.async_get_balance()
    assert standin.requests[SMSC_PATH] == 12


async def test_fifteenth_concurrent_request_refused(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """At most 14 requests in flight; the 15th is refused unsent."""
    limiter = RateLimiter(RateLimit(100, 60, 14), clock=clock)
    client = smsc(session, standin, limiter)
    standin.smsc_max_per_minute = 100
    standin.pause()
    tasks = [asyncio.create_task(client.async_get_balance()) for _ in range(14)]
    for _ in range(200):
        if standin.requests[SMSC_PATH] == 14:
            break
        await asyncio.sleep(0.01)
    assert limiter.in_flight == 14
    with pytest.raises(ThrottledError) as err:
        await client.async_get_balance()
    assert err.value.retry_after == 1
    standin.resume()
    balances = await asyncio.gather(*tasks)
    assert len(balances) == 14
    assert standin.requests[SMSC_PATH] == 14
    assert limiter.in_flight == 0


async def test_history_survives_a_restart(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """A limiter rebuilt from stored history keeps the earlier requests."""
    first = RateLimiter(SMSC_LIMIT, clock=clock)
    client = smsc(session, standin, first)
    for _ in range(10):
        await client.async_get_balance()
    stored = list(first.history)
    clock.advance(20)

    restarted = RateLimiter(SMSC_LIMIT, clock=clock, history=stored)
    with pytest.raises(ThrottledError) as err:
        await smsc(session, standin, restarted).async_get_balance()
    assert err.value.retry_after == pytest.approx(40)
    assert standin.requests[SMSC_PATH] == 10


async def test_stale_and_future_history_dropped(clock: FakeClock) -> None:
    """History older than a period, or from far in the future, is ignored."""
    limiter = RateLimiter(
        SMSC_LIMIT,
        clock=clock,
        history=[clock() - 61, clock() - 30, clock() + 1000],
    )
    assert limiter.history == (clock() - 30,)


async def test_registry_shares_limiters(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """Two entries for one login on one host share one limiter."""
    registry = LimiterRegistry(clock=clock)
    key = limiter_key("smsc", standin.url + "/", " Demo ")
    assert key == limiter_key("smsc", standin.url.upper(), "demo")
    first = registry.get(key, SMSC_LIMIT)
    assert registry.get(key, SMSC_LIMIT) is first
    assert key in registry
    for _ in range(10):
        await smsc(session, standin, first).async_get_balance()
    with pytest.raises(ThrottledError):
        await smsc(session, standin, registry.get(key, SMSC_LIMIT)).async_get_balance()
    # A changed limit builds a new limiter that keeps the history.
    changed = registry.get(key, RateLimit(20, 60, 14))
    assert changed is not first
    assert len(changed.history) == 10


async def test_agile_concurrency(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """Agile's own ceiling allows two requests at once."""
    limiter = RateLimiter(PROVIDERS["agile"].rate_limit, clock=clock)
    client = AgileClient(
        session,
        host=standin.url,
        auth_method="password",
        credentials={"username": "demo", "password": "demo-password"},
        limiter=limiter,
    )
    standin.pause()
    tasks = [asyncio.create_task(client.async_get_balance()) for _ in range(2)]
    for _ in range(200):
        if standin.requests[AGILE_PATH] == 2:
            break
        await asyncio.sleep(0.01)
    with pytest.raises(ThrottledError):
        await client.async_get_balance()
    standin.resume()
    await asyncio.gather(*tasks)
    assert standin.requests[AGILE_PATH] == 2


async def test_pause_until(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """A pause (the provider asked to wait) holds every request back."""
    limiter = RateLimiter(SMSC_LIMIT, clock=clock)
    limiter.pause_until(clock() + 100)
    limiter.pause_until(clock() + 10)  # never shortens
    with pytest.raises(ThrottledError) as err:
        await smsc(session, standin, limiter).async_get_balance()
    assert err.value.retry_after == pytest.approx(100)
    assert standin.requests[SMSC_PATH] == 0
    clock.advance(100)
    await smsc(session, standin, limiter).async_get_balance()
    assert standin.requests[SMSC_PATH] == 1


async def test_default_clock_is_wall_time() -> None:
    """Without a clock the limiter uses wall-clock time (storable history)."""
    limiter = RateLimiter(SMSC_LIMIT)
    async with limiter.acquire():
        pass
    (started,) = limiter.history
    assert abs(started - time.time()) < 5
