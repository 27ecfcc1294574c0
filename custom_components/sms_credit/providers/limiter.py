"""Rate limiting that keeps every request inside a provider's rules.

Two kinds of fact, each kept where the provider applies it:

* :class:`SiteLimiter` — what a provider applies to the source IP address at
  one of its sites: a block (SMSC error 4) and the failed logins that lead to
  one. Every login of that site, and every way of sending, shares it.
* :class:`RateLimiter` — one login's request window, its requests in flight,
  and a wait the provider asked of that login (a rate-limit refusal).

A client records what each answer tells (:meth:`RateLimiter.record`), so the
facts are learnt in one place whichever code path sent the request.

Clocks: while running, every time here is on the monotonic clock, which
a wall-clock step (NTP, a user, a restored VM) does not move; the stored
copies are wall-clock times (:func:`to_wall`, :func:`from_wall`). Whatever
the clocks did, nothing here waits longer than the provider ever makes one
wait, and a request time "in the future" counts as now: a clock that stepped
back can neither silence an account nor let a request through early.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
import time

from ._parse import DEFAULT_RETRY_AFTER
from .models import (
    MAX_RETRY_AFTER,
    AuthenticationError,
    IpBlockedError,
    ProviderConnectionError,
    ProviderError,
    RateLimit,
    RateLimitedError,
    SiteRule,
    ThrottledError,
    WaitReason,
)


def monotonic() -> float:
    """The limiters' clock: seconds that only a real second moves."""
    # Looked up at each call, so that a patched clock (tests) is seen.
    return time.monotonic()


def to_wall(when: float) -> float:
    """A time of :func:`monotonic` as a wall-clock timestamp (to store)."""
    return when - monotonic() + time.time()


def wall_until(when: float) -> float | None:
    """A time of :func:`monotonic` as a wall-clock timestamp while it is ahead.

    ``None`` once it has passed: a wait that is over is neither stored nor
    shown.
    """
    return to_wall(when) if when > monotonic() else None


def from_wall(timestamp: float) -> float:
    """A stored wall-clock timestamp as a time of :func:`monotonic`."""
    return timestamp - time.time() + monotonic()


def _clamp_past(times: deque[float], now: float) -> None:
    """Times after ``now`` (a clock stepped back) count as ``now``."""
    future = 0
    while times and times[-1] > now:
        times.pop()
        future += 1
    times.extend([now] * future)


class SiteLimiter:
    """What a provider applies to the source IP address at one site."""

    def __init__(
        self,
        rule: SiteRule | None = None,
        *,
        clock: Callable[[], float] | None = None,
        blocked_until: float = 0.0,
        failed_logins: Iterable[float] = (),
    ) -> None:
        """Initialise, optionally with what an earlier run stored."""
        self.rule = rule
        self._clock = clock or monotonic
        self.longest_block = rule.longest_block if rule else MAX_RETRY_AFTER
        self.blocked_until = blocked_until
        self._failures: deque[float] = deque(sorted(failed_logins))
        self._prune(self._clock())

    @property
    def failed_logins(self) -> tuple[float, ...]:
        """Times of the failed logins inside the provider's window."""
        self._prune(self._clock())
        return tuple(self._failures)

    def _prune(self, now: float) -> None:
        """Forget what expired; cut what no provider imposes (wrong clocks)."""
        self.blocked_until = min(self.blocked_until, now + self.longest_block)
        _clamp_past(self._failures, now)
        window = self.rule.window if self.rule else 0.0
        while self._failures and self._failures[0] <= now - window:
            self._failures.popleft()

    def block(self, until: float) -> None:
        """The provider blocked the address; never shortens a block."""
        self.blocked_until = max(self.blocked_until, until)
        self._prune(self._clock())

    def record_failed_login(self) -> None:
        """A login was refused at this site."""
        if self.rule is not None:
            self._failures.append(self._clock())

    def wait(self) -> tuple[float, WaitReason | None]:
        """Seconds until a request may go to this site, and why not now."""
        now = self._clock()
        self._prune(now)
        if self.blocked_until > now:
            return self.blocked_until - now, WaitReason.IP_BLOCKED
        if self.rule is not None:
            # Never make the failure that would reach the provider's block.
            allowed = self.rule.max_failed_logins - 1
            if len(self._failures) >= allowed:
                oldest = self._failures[-allowed]
                return oldest + self.rule.window - now, WaitReason.FAILED_LOGINS
        return 0.0, None

    @property
    def idle(self) -> bool:
        """Whether nothing here still matters (it need not be kept)."""
        return not self.failed_logins and self.blocked_until <= self._clock()


class RateLimiter:
    """A sliding-window limiter for one provider login.

    At most ``rate_limit.max_requests`` requests start in any window of
    ``rate_limit.period`` seconds, and at most ``rate_limit.max_concurrent``
    are in flight at once. A request that would cross either ceiling, or that
    would go out while the provider asked to wait (this login or its
    :class:`SiteLimiter`), is not sent: :meth:`acquire` raises
    :class:`ThrottledError` saying when and why. Every request that starts
    counts, whatever its outcome.

    Times are on :func:`monotonic` by default; a pause lasts at most the
    provider's ``rate_limit.longest_pause``.
    """

    def __init__(
        self,
        rate_limit: RateLimit,
        *,
        clock: Callable[[], float] | None = None,
        history: Iterable[float] = (),
        paused_until: float = 0.0,
        site: SiteLimiter | None = None,
    ) -> None:
        """Initialise the limiter, optionally with earlier request times."""
        self.rate_limit = rate_limit
        self._clock = clock or monotonic
        self._starts: deque[float] = deque(sorted(history))
        self.in_flight = 0
        self.paused_until = paused_until
        self.site = site or SiteLimiter(clock=self._clock)
        self._prune(self._clock())

    def pause_until(self, when: float) -> None:
        """Send nothing before ``when`` (same clock); never shortens a pause."""
        self.paused_until = max(self.paused_until, when)
        self._prune(self._clock())

    def _prune(self, now: float) -> None:
        """Forget what expired; cut what no provider imposes (wrong clocks).

        A start "in the future" (a clock that stepped back, a history stored
        by a machine whose clock was ahead) happened at the latest now: it
        counts as now, so a full window stays full.
        """
        self.paused_until = min(self.paused_until, now + self.rate_limit.longest_pause)
        _clamp_past(self._starts, now)
        horizon = now - self.rate_limit.period
        while self._starts and self._starts[0] <= horizon:
            self._starts.popleft()

    @property
    def history(self) -> tuple[float, ...]:
        """Start times of the requests inside the current window."""
        self._prune(self._clock())
        return tuple(self._starts)

    def wait(self) -> tuple[float, WaitReason | None]:
        """Seconds until a request may start, and why not now (``None``: now)."""
        now = self._clock()
        self._prune(now)
        wait, reason = self.site.wait()
        if self.paused_until - now > wait:
            wait, reason = self.paused_until - now, WaitReason.RATE_LIMITED
        if len(self._starts) >= self.rate_limit.max_requests:
            oldest = self._starts[-self.rate_limit.max_requests]
            if oldest + self.rate_limit.period - now > wait:
                wait, reason = (
                    oldest + self.rate_limit.period - now,
                    WaitReason.THROTTLED,
                )
        if wait <= 0:
            return 0.0, None
        return wait, reason

    def next_allowed_in(self) -> float:
        """Seconds until a request may start; 0 when one may start now."""
        return self.wait()[0]

    @property
    def idle(self) -> bool:
        """Whether nothing here still matters (it need not be kept)."""
        return (
            not self.history
            and self.paused_until <= self._clock()
            and not self.in_flight
        )

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[None]:
        """Reserve a slot for one request, or raise :class:`ThrottledError`."""
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
        self._starts.append(self._clock())
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1

    def record(self, error: ProviderError | None) -> None:
        """Learn from an answer what the provider now imposes.

        ``None`` is a good answer. A rate-limit refusal pauses this login, an
        IP block pauses the whole site, and a rejected login counts towards
        the site's failed logins. Errors raised before anything was sent
        (:class:`ThrottledError`) and transport failures tell nothing.
        """
        if error is None or isinstance(error, ThrottledError | ProviderConnectionError):
            return
        now = self._clock()
        if isinstance(error, RateLimitedError):
            self.pause_until(now + (error.retry_after or DEFAULT_RETRY_AFTER))
        elif isinstance(error, IpBlockedError):
            self.site.block(now + (error.retry_after or DEFAULT_RETRY_AFTER))
        elif isinstance(error, AuthenticationError):
            self.site.record_failed_login()
