"""Per-account rate limiting that keeps requests under a provider's ceiling."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
import time

from .models import RateLimit, ThrottledError


def _wall_clock() -> float:
    # Looked up at each call, so that a patched time.time (tests) is seen.
    return time.time()


class RateLimiter:
    """A sliding-window limiter for one provider account.

    At most ``rate_limit.max_requests`` requests start in any window of
    ``rate_limit.period`` seconds, and at most ``rate_limit.max_concurrent``
    are in flight at once. A request that would cross either ceiling is not
    sent: :meth:`acquire` raises :class:`ThrottledError` saying when the next
    one is allowed. Every request that starts counts, whatever its outcome.

    :meth:`pause_until` holds every request back until a given time, for
    when the provider itself asked to wait (an IP block, a ``Retry-After``).

    The clock is wall-clock time by default so that :attr:`history` and
    :attr:`paused_until` can be stored and handed to a new limiter after a
    restart.
    """

    def __init__(
        self,
        rate_limit: RateLimit,
        *,
        clock: Callable[[], float] | None = None,
        history: Iterable[float] = (),
        paused_until: float = 0.0,
    ) -> None:
        """Initialise the limiter, optionally with earlier request times."""
        self.rate_limit = rate_limit
        self._clock = clock or _wall_clock
        self._starts: deque[float] = deque(sorted(history))
        self.in_flight = 0
        self.paused_until = paused_until

    def pause_until(self, when: float) -> None:
        """Send nothing before ``when`` (same clock); never shortens a pause."""
        self.paused_until = max(self.paused_until, when)

    def _prune(self, now: float) -> None:
        horizon = now - self.rate_limit.period
        while self._starts and self._starts[0] <= horizon:
            self._starts.popleft()
        # Drop entries from the future (a clock that went backwards, or a
        # stored history from another machine) beyond one period.
        while self._starts and self._starts[-1] > now + self.rate_limit.period:
            self._starts.pop()

    @property
    def history(self) -> tuple[float, ...]:
        """Start times of the requests inside the current window."""
        self._prune(self._clock())
        return tuple(self._starts)

    def next_allowed_in(self) -> float:
        """Seconds until a request may start; 0 when one may start now."""
        now = self._clock()
        self._prune(now)
        wait = self.paused_until - now
        if len(self._starts) >= self.rate_limit.max_requests:
            oldest = self._starts[-self.rate_limit.max_requests]
            wait = max(wait, oldest + self.rate_limit.period - now)
        return max(0.0, wait)

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[None]:
        """Reserve a slot for one request, or raise :class:`ThrottledError`."""
        wait = self.next_allowed_in()
        if wait > 0:
            raise ThrottledError(
                f"request limit reached, next request allowed in {wait:.0f} s",
                retry_after=wait,
            )
        if self.in_flight >= self.rate_limit.max_concurrent:
            raise ThrottledError(
                "too many requests in flight for this account", retry_after=1.0
            )
        self._starts.append(self._clock())
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1


class LimiterRegistry:
    """One :class:`RateLimiter` per account key, created on first use."""

    def __init__(self, *, clock: Callable[[], float] | None = None) -> None:
        """Initialise an empty registry."""
        self._clock = clock
        self._limiters: dict[str, RateLimiter] = {}

    def get(
        self, key: str, rate_limit: RateLimit, history: Iterable[float] = ()
    ) -> RateLimiter:
        """Return the limiter for ``key``, creating it with ``history`` if new."""
        limiter = self._limiters.get(key)
        if limiter is None or limiter.rate_limit != rate_limit:
            if limiter is not None:
                history = limiter.history
            limiter = RateLimiter(rate_limit, clock=self._clock, history=history)
            self._limiters[key] = limiter
        return limiter

    def __contains__(self, key: object) -> bool:
        """Whether a limiter exists for ``key``."""
        return key in self._limiters
