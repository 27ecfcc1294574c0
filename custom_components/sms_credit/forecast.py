"""The forecast: what an account spends, when its credit runs out, when to check.

Learned from the balances the provider answers, and nothing else: a
decrease between two answers is spending, an increase a top-up (never
negative spending), a new currency or unit starts afresh. A gap between
two answers (an outage, Home Assistant off) adds its time and whatever was
spent in it, so a gap is no spending of its own. Times are on the limiters'
clock (:func:`~.providers.limiter.monotonic`), which a step of the wall
clock does not move; the store converts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
import math

DAY = 86400.0
WINDOW = 7 * DAY
"""Spending is the average of the last week: a weekly rhythm evens out."""
MIN_HISTORY = DAY
"""Less than a day of answers says nothing of a day's spending."""
MAX_POINTS = 56
"""One point per 3 hours of the window (and two more): bounded, whatever the uptime."""
FLOOR = 600.0
"""Adaptive polling never checks more often than every 10 minutes."""
STORM_CHECK = 2700.0
"""While a drop like the week's biggest would cross the threshold: 45 minutes."""
HORIZON = 3650 * DAY
"""A credit lasting longer than ten years at this pace has no date to show."""
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Point:
    """An answer the forecast counted: when, all spent so far, its biggest drop.

    ``drop`` is the biggest decrease between two answers merged into this
    point (points are at least ``WINDOW / MAX_POINTS`` apart).
    """

    at: float
    spent: Decimal
    drop: Decimal = ZERO


@dataclass(slots=True)
class Spending:
    """What the forecast knows of one account, in one currency or unit."""

    unit: str
    amount: Decimal
    """The last balance counted."""
    points: list[Point] = field(default_factory=list)
    """Oldest first; the last is the last answer, the first at or before the window."""
    top_up: tuple[float, Decimal] | None = None
    """When the credit last went up, and by how much."""

    @property
    def checked_at(self) -> float:
        """When the last answer came."""
        return self.points[-1].at

    @property
    def daily(self) -> Decimal | None:
        """The average spend per day over the window; ``None``: none, or too early."""
        first, last = self.points[0], self.points[-1]
        span = last.at - first.at
        spent = last.spent - first.spent
        if span < MIN_HISTORY or spent <= 0:
            return None
        return spent * Decimal(DAY) / Decimal(span)

    @property
    def runs_out(self) -> float | None:
        """When the credit reaches zero at that pace; ``None`` without one."""
        daily = self.daily
        if daily is None or self.amount <= 0:
            return None
        lasts = float(self.amount / daily) * DAY
        return None if lasts > HORIZON else self.checked_at + lasts

    @property
    def biggest_drop(self) -> Decimal:
        """The biggest decrease between two answers in the window."""
        return max(point.drop for point in self.points)


def learn(spending: Spending | None, at: float, amount: Decimal, unit: str) -> Spending:
    """Count one answer: ``amount`` in ``unit``, received at ``at``."""
    if spending is None or spending.unit != unit or not spending.points:
        return Spending(unit, amount, [Point(at, ZERO)])
    points, last = spending.points, spending.points[-1]
    change = amount - spending.amount
    drop = max(-change, ZERO)
    if change > 0:
        spending.top_up = (at, change)
    spending.amount = amount
    at = max(at, last.at)
    if len(points) > 1 and last.at - points[-2].at < WINDOW / MAX_POINTS:
        points[-1] = Point(at, last.spent + drop, max(last.drop, drop))
    else:
        points.append(Point(at, last.spent + drop, drop))
    while len(points) > 1 and points[1].at <= at - WINDOW:
        del points[0]
    return spending


def low_by_forecast(spending: Spending | None, days: int, *, held: bool) -> bool:
    """Whether the last answer's credit runs out within ``days`` days (0: never).

    Judged at the last answer, as everything else shown. ``held``: a low
    period is on; it then lasts until a top-up or a forecast beyond twice
    the days, so that a pace wavering at the boundary does not start a new
    low period (and a notification) at every check.
    """
    if spending is None or not days or (runs_out := spending.runs_out) is None:
        return False
    top_up = spending.top_up
    if held and (top_up is None or top_up[0] < spending.checked_at):
        days *= 2
    return runs_out - spending.checked_at <= days * DAY


def next_check(
    spending: Spending | None,
    threshold: Decimal,
    days: int,
    longest: float,
    now: float,
) -> float:
    """Seconds from ``now`` to the next check, from ``FLOOR`` to ``longest``.

    Half the time the forecast gives until the next thing a user would see
    change: the credit crossing the threshold (or zero, once under it), or
    running out within ``days`` days. So checks come closer as a crossing
    nears, and one is seen soon after it happens, even if the pace changed.
    While a drop like the biggest of the week would take the credit under
    the threshold (an alarm storm), at most ``STORM_CHECK``.
    """
    if spending is None:
        return longest
    amount, until = spending.amount, math.inf
    if (daily := spending.daily) is not None:
        per_second = float(daily) / DAY
        target = threshold if amount >= threshold else ZERO
        if target > 0 or amount > 0:  # not at zero already
            until = float(amount - target) / per_second
        runs_out = float(amount) / per_second
        if days and runs_out > days * DAY:
            until = min(until, runs_out - days * DAY)
        until -= now - spending.checked_at
    wait = until / 2
    if threshold <= amount < threshold + spending.biggest_drop:
        wait = min(wait, STORM_CHECK)
    return min(longest, max(FLOOR, wait))
