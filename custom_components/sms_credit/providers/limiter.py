"""Rate limiting that keeps every request inside a provider's rules.

Times run on :func:`monotonic`; stored copies are wall-clock times. Whatever
the clocks did, no wait exceeds the longest the provider imposes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
import time

from ._parse import DEFAULT_RETRY_AFTER
from .models import (
    MAX_RETRY_AFTER,
    AuthenticationError,
    IpBlockedError,
    ProviderError,
    RateLimit,
    RateLimitedError,
    SiteRule,
    ThrottledError,
    WaitReason,
)


def monotonic() -> float:
    """The limiters' clock (``time`` is looked up at each call: tests patch it)."""
    return time.monotonic()


def to_wall(when: float) -> float:
    """A time of :func:`monotonic` as a wall-clock timestamp (to store)."""
    return when - monotonic() + time.time()


def wall_until(when: float) -> float | None:
    """A time of :func:`monotonic` as a wall-clock timestamp; ``None`` once past."""
    return to_wall(when) if when > monotonic() else None


def from_wall(timestamp: float) -> float:
    """A stored wall-clock timestamp as a time of :func:`monotonic`."""
    return timestamp - time.time() + monotonic()


def _prune(times: list[float], now: float, window: float) -> tuple[float, ...]:
    """Forget times a ``window`` old; count one after ``now`` as ``now``."""
    times[:] = [min(t, now) for t in times if min(t, now) > now - window]
    return tuple(times)


def _until_fewer(times: list[float], most: int, window: float, now: float) -> float:
    """Seconds until fewer than ``most`` of ``times`` are inside ``window``."""
    return times[-most] + window - now if 0 < most <= len(times) else 0.0


class SiteLimiter:
    """What a provider applies to the source IP at one site, for all its logins."""

    def __init__(
        self,
        rule: SiteRule | None = None,
        *,
        blocked_until: float = 0.0,
        failed_logins: Iterable[float] = (),
    ) -> None:
        """Initialise, optionally with what an earlier run stored."""
        self.rule = rule
        self.longest_block = rule.longest_block if rule else MAX_RETRY_AFTER
        self.blocked_until = blocked_until
        self._failures = sorted(failed_logins)
        self._prune(monotonic())

    def _prune(self, now: float) -> tuple[float, ...]:
        self.blocked_until = min(self.blocked_until, now + self.longest_block)
        return _prune(self._failures, now, self.rule.window if self.rule else 0.0)

    @property
    def failed_logins(self) -> tuple[float, ...]:
        """Times of the failed logins inside the provider's window."""
        return self._prune(monotonic())

    def block(self, until: float) -> None:
        """The provider blocked the address; never shortens a block."""
        self.blocked_until = max(self.blocked_until, until)
        self._prune(monotonic())

    def record(self, error: ProviderError | None) -> None:
        """Learn what an answer says the provider imposes on this address."""
        if isinstance(error, IpBlockedError):
            self.block(monotonic() + (error.retry_after or DEFAULT_RETRY_AFTER))
        elif isinstance(error, AuthenticationError) and self.rule is not None:
            self._failures.append(monotonic())

    def wait(self) -> tuple[float, WaitReason | None]:
        """Seconds until a request may go to this site, and why not now."""
        now = monotonic()
        self._prune(now)
        if self.blocked_until > now:
            return self.blocked_until - now, WaitReason.IP_BLOCKED
        if self.rule is not None:
            # Never make the failure that would reach the provider's block.
            most = self.rule.max_failed_logins - 1
            if (wait := _until_fewer(self._failures, most, self.rule.window, now)) > 0:
                return wait, WaitReason.FAILED_LOGINS
        return 0.0, None


class RateLimiter:
    """One login's request window and requests in flight, and the waits asked."""

    def __init__(
        self,
        rate_limit: RateLimit,
        *,
        history: Iterable[float] = (),
        paused_until: float = 0.0,
        site: SiteLimiter | None = None,
    ) -> None:
        """Initialise the limiter, optionally with what an earlier run stored."""
        self.rate_limit = rate_limit
        self._starts = sorted(history)
        self.in_flight = 0
        self.paused_until = paused_until
        self.site = site or SiteLimiter()
        self._prune(monotonic())

    def _prune(self, now: float) -> tuple[float, ...]:
        self.paused_until = min(self.paused_until, now + self.rate_limit.longest_pause)
        return _prune(self._starts, now, self.rate_limit.period)

    @property
    def history(self) -> tuple[float, ...]:
        """Start times of the requests inside the current window."""
        return self._prune(monotonic())

    def merge(self, history: Iterable[float], paused_until: float = 0.0) -> None:
        """Add what another entry stored of this window (one shared: Brevo's).

        Every entry stored the whole window: a time within a second of one
        counted already is that request (read back on a moved clock), once.
        """
        counted = list(self._starts)
        for when in sorted(history):
            if (same := next((t for t in counted if abs(t - when) < 1), None)) is None:
                self._starts.append(when)
            else:
                counted.remove(same)
        self._starts.sort()
        self.pause_until(paused_until)
        self._prune(monotonic())

    def pause_until(self, when: float) -> None:
        """Send nothing before ``when`` (same clock); never shortens a pause."""
        self.paused_until = max(self.paused_until, when)
        self._prune(monotonic())

    def wait(self) -> tuple[float, WaitReason | None]:
        """Seconds until a request may start, and why not now (``None``: now)."""
        now = monotonic()
        limit = self.rate_limit
        self._prune(now)
        full = _until_fewer(self._starts, limit.max_requests, limit.period, now)
        wait, reason = max(  # the longest wait; the first of equal ones
            self.site.wait(),
            (self.paused_until - now, WaitReason.RATE_LIMITED),
            (full, WaitReason.THROTTLED),
            key=lambda pair: pair[0],
        )
        return (wait, reason) if wait > 0 else (0.0, None)

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[None]:
        """Count one request that starts, or raise :class:`ThrottledError`."""
        wait, reason = self.wait()
        if reason is not None:
            raise ThrottledError(
                f"{reason.value}: next request allowed in {wait:.0f} s",
                retry_after=wait,
                reason=reason,
            )
        if self.in_flight >= self.rate_limit.max_concurrent:
            raise ThrottledError(
                "too many requests in flight for this login", retry_after=1.0
            )
        self._starts.append(monotonic())
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    def record(self, error: ProviderError | None) -> None:
        """Learn what an answer (``None``: a good one) says the provider imposes."""
        if isinstance(error, RateLimitedError):
            self.pause_until(monotonic() + (error.retry_after or DEFAULT_RETRY_AFTER))
        self.site.record(error)
