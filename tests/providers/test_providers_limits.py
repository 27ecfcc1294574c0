"""The rate limiter in front of real requests: what is refused is never sent."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest

from custom_components.sms_credit.providers import (
    PROVIDERS,
    AuthenticationError,
    IpBlockedError,
    ProviderClient,
    RateLimit,
    RateLimitedError,
    RateLimiter,
    SiteLimiter,
    ThrottledError,
    WaitReason,
)
from custom_components.sms_credit.providers.limiter import from_wall, monotonic, to_wall
from custom_components.sms_credit.providers.smsc import smsc_password_hash
from tests.providers.helpers import FakeClock
from tests.standin import AGILE_PATH, SMSC_PATH, StandinProvider

SMSC_LIMIT = PROVIDERS["smsc"].rate_limit
DEMO_MD5 = smsc_password_hash("demo-password")


def smsc(
    session: aiohttp.ClientSession, standin: StandinProvider, limiter: RateLimiter
) -> ProviderClient:
    """A client for the stand-in's ``demo`` SMSC account."""
    return ProviderClient(
        session,
        PROVIDERS["smsc"],
        host=standin.url,
        auth_method="password",
        credentials={"username": "demo", "password_md5": DEMO_MD5},
        limiter=limiter,
    )


async def test_eleventh_request_in_a_minute_is_not_sent(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """Ten requests pass; the 11th inside 60 s is refused before sending."""
    start = clock()
    client = smsc(session, standin, RateLimiter(SMSC_LIMIT))
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
    limiter = RateLimiter(SMSC_LIMIT)
    client = smsc(session, standin, limiter)
    for _ in range(10):
        await client.async_get_balance()
        clock.advance(6)
    # Now at +60: the first request (at +0) just left the window.
    assert limiter.wait()[0] == 0
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
    limiter = RateLimiter(RateLimit(100, 60, 14))
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
    first = RateLimiter(SMSC_LIMIT)
    client = smsc(session, standin, first)
    for _ in range(10):
        await client.async_get_balance()
    stored = list(first.history)
    clock.advance(20)

    restarted = RateLimiter(SMSC_LIMIT, history=stored)
    with pytest.raises(ThrottledError) as err:
        await smsc(session, standin, restarted).async_get_balance()
    assert err.value.retry_after == pytest.approx(40)
    assert standin.requests[SMSC_PATH] == 10


async def test_stale_history_dropped_future_history_counts_as_now(
    clock: FakeClock,
) -> None:
    """Old history is forgotten; a start "from the future" counts as now.

    Such a start comes from a clock stepped back, or from a machine whose
    clock was ahead.
    """
    limiter = RateLimiter(
        SMSC_LIMIT,
        history=[clock() - 61, clock() - 30, clock() + 1000],
    )
    assert limiter.history == (clock() - 30, clock())


@pytest.mark.parametrize("step", [-3600.0, -365 * 86400.0])
def test_burst_then_clock_stepped_back_keeps_the_window_full(
    clock: FakeClock, step: float
) -> None:
    """Ten requests, then the clock goes back: the 11th waits a full period."""
    limiter = RateLimiter(SMSC_LIMIT, history=[clock()] * 10)
    clock.advance(step)
    assert limiter.wait() == (60.0, WaitReason.THROTTLED)
    clock.advance(59)
    assert limiter.wait()[1] is WaitReason.THROTTLED
    clock.advance(1)
    assert limiter.wait() == (0.0, None)


@pytest.mark.parametrize("ahead", [3600.0, 365 * 86400.0])
def test_no_wait_longer_than_the_provider_imposes(
    clock: FakeClock, ahead: float
) -> None:
    """A block or pause from a clock that was ahead is cut to the longest.

    The longest the provider imposes: SMSC never makes anyone wait longer
    than its 30-minute block; a provider that documents nothing (Agile) at
    most a day.
    """
    rule = PROVIDERS["smsc"].site_rule
    assert rule is not None
    site = SiteLimiter(rule, blocked_until=clock() + ahead)
    assert site.wait() == (1800.0, WaitReason.IP_BLOCKED)
    limiter = RateLimiter(SMSC_LIMIT, paused_until=clock() + ahead)
    assert limiter.wait() == (1800.0, WaitReason.RATE_LIMITED)
    agile = RateLimiter(PROVIDERS["agile"].rate_limit, paused_until=clock() + ahead)
    assert agile.wait() == (min(ahead, 86400.0), WaitReason.RATE_LIMITED)
    # Learnt while running: the same ceilings.
    site.block(clock() + ahead * 2)
    limiter.pause_until(clock() + ahead * 2)
    agile.pause_until(clock() + ahead * 2)
    assert site.wait()[0] == 1800.0
    assert limiter.wait()[0] == 1800.0
    assert agile.wait()[0] == min(ahead * 2, 86400.0)
    # Without a rule (Agile), a block is capped at a day too.
    assert SiteLimiter(blocked_until=clock() + ahead).wait()[0] == min(ahead, 86400.0)


def test_failed_logins_from_the_future_count_as_now(clock: FakeClock) -> None:
    """Four failures "from the future" still hold back the fifth login."""
    rule = PROVIDERS["smsc"].site_rule
    assert rule is not None
    site = SiteLimiter(rule, failed_logins=[clock() + 7200] * 4)
    assert site.failed_logins == (clock(),) * 4
    assert site.wait() == (1800.0, WaitReason.FAILED_LOGINS)


def test_running_limiters_ignore_wall_clock_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The limiters run on the monotonic clock.

    Stepping the wall clock a year either way changes no wait; the stored
    copies follow the wall clock.
    """
    limiter = RateLimiter(SMSC_LIMIT, history=[monotonic()] * 10)
    limiter.site.block(monotonic() + 600)
    wall = time.time()
    for step in (-365 * 86400.0, 3600.0, 365 * 86400.0):
        monkeypatch.setattr(time, "time", lambda step=step: wall + step)
        wait, reason = limiter.wait()
        assert reason is WaitReason.IP_BLOCKED
        assert 590 < wait <= 600
        assert to_wall(limiter.site.blocked_until) == pytest.approx(
            wall + step + 600, abs=10
        )
        assert from_wall(to_wall(limiter.site.blocked_until)) == pytest.approx(
            limiter.site.blocked_until
        )


async def test_a_site_is_shared_by_its_logins(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """An IP block learnt through one login holds every login of the site."""
    site = SiteLimiter(PROVIDERS["smsc"].site_rule)
    first = RateLimiter(SMSC_LIMIT, site=site)
    other = RateLimiter(SMSC_LIMIT, site=site)
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
    site = SiteLimiter(PROVIDERS["smsc"].site_rule)
    limiter = RateLimiter(SMSC_LIMIT, site=site)
    wrong = ProviderClient(
        session,
        PROVIDERS["smsc"],
        host=standin.url,
        auth_method="password",
        credentials={"username": "demo", "password_md5": smsc_password_hash("wrong")},
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
    assert len(site.failed_logins) == 3  # still in the window
    clock.advance(1800)
    assert site.failed_logins == ()


async def test_a_refusal_pauses_the_login_only(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """SMSC error 9 pauses its login for a minute; another login goes on."""
    site = SiteLimiter(PROVIDERS["smsc"].site_rule)
    limiter = RateLimiter(SMSC_LIMIT, site=site)
    standin.respond_next(200, '{"error": "too many", "error_code": 9}')
    with pytest.raises(RateLimitedError):
        await smsc(session, standin, limiter).async_get_balance()
    assert limiter.wait() == (pytest.approx(60), WaitReason.RATE_LIMITED)
    assert RateLimiter(SMSC_LIMIT, site=site).wait() == (0.0, None)
    clock.advance(30)
    assert limiter.wait()[1] is WaitReason.RATE_LIMITED
    assert len(limiter.history) == 1
    clock.advance(30)
    assert limiter.wait() == (0.0, None)
    assert limiter.history == ()


async def test_agile_concurrency(
    session: aiohttp.ClientSession, standin: StandinProvider, clock: FakeClock
) -> None:
    """Agile's own ceiling allows two requests at once."""
    limiter = RateLimiter(PROVIDERS["agile"].rate_limit)
    client = ProviderClient(
        session,
        PROVIDERS["agile"],
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
    limiter = RateLimiter(SMSC_LIMIT)
    limiter.pause_until(clock() + 100)
    limiter.pause_until(clock() + 10)  # never shortens
    with pytest.raises(ThrottledError) as err:
        await smsc(session, standin, limiter).async_get_balance()
    assert err.value.retry_after == pytest.approx(100)
    assert standin.requests[SMSC_PATH] == 0
    clock.advance(100)
    await smsc(session, standin, limiter).async_get_balance()
    assert standin.requests[SMSC_PATH] == 1


async def test_the_clock_is_monotonic() -> None:
    """Unless a test patches it, the limiter runs on the monotonic clock.

    Stored, its times are wall-clock times.
    """
    limiter = RateLimiter(SMSC_LIMIT)
    async with limiter.acquire():
        pass
    (started,) = limiter.history
    assert abs(started - time.monotonic()) < 5
    assert abs(to_wall(started) - time.time()) < 5


def test_the_longest_wait_gives_the_reason(clock: FakeClock) -> None:
    """A full window and a longer pause: the pause is what the caller waits for."""
    limiter = RateLimiter(SMSC_LIMIT, history=[clock()] * 10)
    assert limiter.wait() == (pytest.approx(60), WaitReason.THROTTLED)
    limiter.pause_until(clock() + 100)
    assert limiter.wait() == (pytest.approx(100), WaitReason.RATE_LIMITED)
