"""The rate limiter in front of real requests: what is refused is never sent."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from custom_components.sms_credit.providers import (
    PROVIDERS,
    AgileClient,
    AuthenticationError,
    IpBlockedError,
    RateLimit,
    RateLimitedError,
    RateLimiter,
    SiteLimiter,
    SmscClient,
    ThrottledError,
    WaitReason,
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


async def test_a_site_is_shared_by_its_logins(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """An IP block learnt through one login holds every login of the site."""
    site = SiteLimiter(PROVIDERS["smsc"].site_rule, clock=clock)
    first = RateLimiter(SMSC_LIMIT, clock=clock, site=site)
    other = RateLimiter(SMSC_LIMIT, clock=clock, site=site)
    standin.block()
    with pytest.raises(IpBlockedError):
        await smsc(session, standin, first).async_get_balance()
    with pytest.raises(ThrottledError) as caught:
        await smsc(session, standin, other).async_get_balance()
    assert caught.value.reason is WaitReason.IP_BLOCKED
    assert caught.value.retry_after == pytest.approx(1800)
    assert standin.requests[SMSC_PATH] == 1
    assert other.history == ()  # nothing was sent for it
    clock.advance(1800)
    standin.reset()
    await smsc(session, standin, other).async_get_balance()


async def test_never_the_fifth_failed_login(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """Four failed logins at a site: nothing more until the first is 30 min old."""
    site = SiteLimiter(PROVIDERS["smsc"].site_rule, clock=clock)
    limiter = RateLimiter(SMSC_LIMIT, clock=clock, site=site)
    wrong = SmscClient(
        session,
        host=standin.url,
        auth_method="password",
        credentials={"username": "demo", "password": "wrong"},
        limiter=limiter,
    )
    for _ in range(4):
        with pytest.raises(AuthenticationError):
            await wrong.async_get_balance()
        clock.advance(60)
    with pytest.raises(ThrottledError) as caught:
        await smsc(session, standin, limiter).async_get_balance()
    assert caught.value.reason is WaitReason.FAILED_LOGINS
    assert caught.value.retry_after == pytest.approx(1800 - 240)
    assert standin.requests[SMSC_PATH] == 4
    assert standin.smsc_blocked_until() is None
    clock.advance(1800 - 240)
    assert site.wait() == (0.0, None)
    await smsc(session, standin, limiter).async_get_balance()
    assert not site.idle  # three failures are still in the window
    clock.advance(1800)
    assert site.idle


async def test_a_refusal_pauses_the_login_only(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """SMSC error 9 pauses its login for a minute; another login goes on."""
    site = SiteLimiter(PROVIDERS["smsc"].site_rule, clock=clock)
    limiter = RateLimiter(SMSC_LIMIT, clock=clock, site=site)
    standin.respond_next(200, '{"error": "too many", "error_code": 9}')
    with pytest.raises(RateLimitedError):
        await smsc(session, standin, limiter).async_get_balance()
    assert limiter.wait() == (pytest.approx(60), WaitReason.RATE_LIMITED)
    assert RateLimiter(SMSC_LIMIT, clock=clock, site=site).wait() == (0.0, None)
    clock.advance(30)
    assert limiter.idle is False  # paused, and the request is in the window
    clock.advance(30)
    assert limiter.idle


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


def test_the_longest_wait_gives_the_reason(clock: FakeClock) -> None:
    """A full window and a longer pause: the pause is what the caller waits for."""
    limiter = RateLimiter(SMSC_LIMIT, clock=clock, history=[clock()] * 10)
    assert limiter.wait() == (pytest.approx(60), WaitReason.THROTTLED)
    limiter.pause_until(clock() + 100)
    assert limiter.wait() == (pytest.approx(100), WaitReason.RATE_LIMITED)
