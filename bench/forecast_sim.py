"""Adaptive polling against fixed 30-minute polling, in simulated time.

Run by ``scripts/bench --forecast``. Three seeded 30-day traces of an Agile
Telecom (EUR) account's true credit (steady spending; alarm storms that each
spend a third of the credit in an hour; idle periods and top-ups) each drive
two entries of the real integration in a fresh Home Assistant, as the soak
does (``tests/soak/world.py``), against the stand-in: fixed 30-minute polling
and adaptive polling (240 minutes at most), both with ``low_credit_days`` 0.
Prints requests per day, the delay from the true threshold crossing to the
low-credit sensor turning on, the "runs out" sensor's error a week before
the credit ran out, and the goals; draws ``docs/images/forecast_steady.svg``.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise
import logging
import math
from pathlib import Path
import random
import statistics
import sys
import tempfile
import time
from typing import Any
from unittest.mock import patch

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

# Before any other Home Assistant import, as the test plugin does: Home
# Assistant's utcnow made a function freezegun can patch.
import pytest_homeassistant_custom_component.patch_time  # noqa: E402, F401, I001

import freezegun  # noqa: E402
from freezegun.api import (  # noqa: E402
    FrozenDateTimeFactory,
    StepTickTimeFactory,
    TickingDateTimeFactory,
)
from homeassistant.const import CONF_HOST, CONF_PASSWORD, CONF_USERNAME  # noqa: E402
from homeassistant.core import HomeAssistant  # noqa: E402
from homeassistant.helpers import entity_registry as er  # noqa: E402
from homeassistant.util import dt as dt_util  # noqa: E402
from pytest_homeassistant_custom_component.common import (  # noqa: E402
    MockConfigEntry,
    mock_storage,
)

from custom_components.sms_credit.const import DOMAIN  # noqa: E402
from tests.soak.world import (  # noqa: E402
    START,
    LoopbackResolver,
    _next_refresh,
    fire_time_changed,
    fresh_hass,
)
from tests.standin import Account, StandinProvider  # noqa: E402

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0
DAYS = 30
START_HOUR = 8  # START's hour (UTC): the traces send SMS 07:00-22:00 UTC
MAX_STEP = 30 * MINUTE
TAIL = 6 * HOUR  # simulated after the trace, to see a late crossing
PRICE = Decimal("0.05")  # one SMS part; a message has 1, 1, 1, 2 or 3
ZERO = Decimal(0)
PICTURE = REPO / "docs/images/forecast_steady.svg"
MODES = {
    "fixed 30 min": {"update_interval": 30, "adaptive_polling": False},
    "adaptive": {"update_interval": 240, "adaptive_polling": True},
}
type Plan = list[tuple[str, float, int]]


@dataclass(frozen=True, slots=True)
class Trace:
    """A 30-day script of the true credit: ``(second, credit from then on)``."""

    name: str
    threshold: Decimal
    changes: list[tuple[float, Decimal]]

    def credit_at(self, at: float) -> Decimal:
        """The true credit at ``at``."""
        return self.changes[bisect_right(self.changes, (at, Decimal("Inf"))) - 1][1]

    def crossings(self) -> list[tuple[float, float]]:
        """Each fall under the threshold, and when the credit is back at or above."""
        spans: list[list[float]] = []
        for (_, before), (at, after) in pairwise(self.changes):
            if before >= self.threshold > after:
                spans.append([at, math.inf])
            elif before < self.threshold <= after and spans:
                spans[-1][1] = at
        return [(start, end) for start, end in spans]

    def run_outs(self) -> list[float]:
        """When the credit reached zero."""
        pairs = pairwise(self.changes)
        return [at for (_, before), (at, after) in pairs if before > 0 == after]


@dataclass(slots=True)
class User:
    """Acts on each crossing as the plan says.

    ``("top_up", hours, EUR)``: that many hours after the crossing;
    ``("run_out", hours, EUR)``: that many hours after the credit reached zero.
    """

    threshold: Decimal
    plan: Plan
    due: tuple[float, Decimal] | None = None
    waiting: tuple[float, int] | None = None

    def top_up(self, at: float) -> Decimal:
        """What the user adds at ``at``."""
        if self.due is None or at < self.due[0]:
            return ZERO
        amount, self.due = self.due[1], None
        return amount

    def see(self, at: float, before: Decimal, after: Decimal) -> None:
        """Notice a crossing, or the credit reaching zero."""
        if before >= self.threshold > after and self.plan:
            kind, hours, amount = self.plan.pop(0)
            if kind == "run_out":
                self.waiting = (hours, amount)
            else:
                self.due = (at + hours * HOUR, Decimal(amount))
        if self.waiting and after == 0:
            self.due = (at + self.waiting[0] * HOUR, Decimal(self.waiting[1]))
            self.waiting = None


def make_trace(
    name: str,
    seed: int,
    threshold: int,
    start: int,
    rates: list[tuple[float, float]],
    storms: list[float],
    plan: Plan,
) -> Trace:
    """The credit minute by minute: SMS sent, storms, the user's top-ups.

    ``rates``: from which day how many EUR a day go on SMS, sent 07:00-22:00
    with jitter; ``storms``: days when an alarm storm spends a third of the
    credit within an hour.
    """
    rng = random.Random(seed)  # noqa: S311 - a repeatable script, no secret
    user, credit = User(Decimal(threshold), list(plan)), Decimal(start)
    changes, storm = [(0.0, credit)], list[Decimal]()
    storm_starts = {round(day * 1440) for day in storms}
    for minute in range(DAYS * 1440):
        at, before = minute * MINUTE, credit
        credit += user.top_up(at)
        if minute in storm_starts:
            storm = [(credit / 180).quantize(PRICE)] * 60
        if 7 <= (minute // 60 + START_HOUR) % 24 < 22:
            rate = next(r for d, r in reversed(rates) if d <= minute / 1440)
            if rng.random() < rate * rng.uniform(0.5, 1.5) / 900 / 0.08:  # 1.6 parts
                credit -= PRICE * rng.choice((1, 1, 1, 2, 3))
        credit = max(ZERO, credit - (storm.pop() if storm else ZERO))
        user.see(at, before, credit)
        if credit != changes[-1][1]:
            changes.append((at, credit))
    return Trace(name, user.threshold, changes)


SCRIPTS: tuple[tuple[Any, ...], ...] = (  # make_trace's arguments
    (
        "steady", 1, 20, 30, [(0, 4.0)], [],
        [("top_up", 8, 15), ("top_up", 14, 15), ("run_out", 6, 30), ("top_up", 10, 15),
         ("top_up", 3, 15), ("top_up", 20, 15), ("top_up", 5, 15), ("top_up", 12, 15)],
    ),
    (
        "burst", 2, 30, 60, [(0, 2.0)],
        [1.6, 3.45, 7.1, 9.55, 10.6, 15.2, 21.4, 23.15, 26.05, 27.6],
        [("top_up", 6, 70), ("run_out", 8, 60), ("top_up", 4, 50), ("top_up", 4, 40)],
    ),
    (
        "idle", 3, 10, 25,
        [(0, 0), (2, 6), (5, 0), (7, 8), (10, 0), (12, 6), (15, 0), (17, 5),
         (21, 0), (23, 6), (26, 0), (27, 5)],
        [],
        [("top_up", 10, 12), ("top_up", 12, 12), ("top_up", 6, 12), ("run_out", 5, 25),
         ("top_up", 10, 12), ("top_up", 8, 12), ("top_up", 4, 12), ("top_up", 8, 12)],
    ),
)  # fmt: skip


@dataclass(slots=True)
class Result:
    """What one entry did over one trace."""

    requests: int = 0
    delays: list[float] = field(default_factory=list)  # minutes; inf: missed
    errors: list[float | None] = field(default_factory=list)  # hours; None: unknown
    checks: list[tuple[float, Decimal, float | None]] = field(default_factory=list)
    """Each answer: when, the credit, the "runs out" sensor then (seconds)."""


async def simulate(trace: Trace) -> dict[str, Result]:
    """Run both entries over ``trace`` in a fresh Home Assistant, by mode."""
    with (
        tempfile.TemporaryDirectory() as config_dir,
        mock_storage(),
        freezegun.freeze_time(START) as freezer,
        patch.object(freezegun.api, "call_stack_inspection_limit", 0),
        patch(
            "homeassistant.helpers.aiohttp_client._async_make_resolver",
            return_value=LoopbackResolver(),
        ),
    ):
        standin = StandinProvider(clock=time.monotonic)
        standin.keep_seen = False
        await standin.start()
        try:
            async with fresh_hass(Path(config_dir)) as hass:
                return await _drive(hass, freezer, standin, trace)
        finally:
            await standin.close()


async def _add_entries(
    hass: HomeAssistant, standin: StandinProvider, trace: Trace
) -> dict[str, tuple[str, str]]:
    """One entry per mode (login ``user<index>``); its low and runs-out sensors."""
    entities, url = {}, standin.url
    for index, (mode, options) in enumerate(MODES.items()):
        balance = f"{trace.credit_at(0):.2f}"
        standin.agile_accounts[f"user{index}"] = Account("pw", balance=balance)
        entry = MockConfigEntry(
            domain=DOMAIN,
            title=mode,
            data={"provider": "agile", "auth_method": "password", CONF_HOST: url}
            | {CONF_USERNAME: f"user{index}", CONF_PASSWORD: "pw"},
            options=options
            | {"low_credit_threshold": float(trace.threshold), "low_credit_days": 0},
            version=1,
            minor_version=2,
        )
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        registry = er.async_get(hass)
        low, runs_out = (
            registry.async_get_entity_id(domain, DOMAIN, f"{entry.entry_id}_{key}")
            for domain, key in (("binary_sensor", "low_credit"), ("sensor", "runs_out"))
        )
        entities[mode] = (low or "", runs_out or "")
    return entities


async def _drive(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory | StepTickTimeFactory | TickingDateTimeFactory,
    standin: StandinProvider,
    trace: Trace,
) -> dict[str, Result]:
    """Move time through the trace, step by step; then measure."""
    loop, origin, clock = asyncio.get_running_loop(), time.time(), time.monotonic()
    entities = await _add_entries(hass, standin, trace)
    probes = [(at - 7 * DAY, at) for at in trace.run_outs() if at >= 8 * DAY]
    marks = sorted(
        {at for at, _ in trace.changes} | {p for p, _ in probes} | {DAYS * DAY + TAIL}
    )
    results = {mode: Result() for mode in MODES}
    lows: dict[str, list[tuple[float, bool]]] = {mode: [] for mode in MODES}
    now, seen = 0.0, 0
    while now < DAYS * DAY + TAIL:
        step = min(marks[bisect_right(marks, now)] - now, MAX_STEP)
        if (due := _next_refresh(loop)) is not None:
            step = min(step, max(0.0, due - loop.time()))
        freezer.tick(timedelta(seconds=step))
        now = time.time() - origin
        for account in standin.agile_accounts.values():  # the true credit
            account.balance = f"{trace.credit_at(now):.2f}"
        fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        new, seen = standin.log[seen:], len(standin.log)
        probed = bool(probes) and now >= probes[0][0]
        for index, mode in enumerate(MODES):
            low, runs_out = (hass.states.get(entity) for entity in entities[mode])
            when = dt_util.parse_datetime(runs_out.state) if runs_out else None
            out = None if when is None else when.timestamp() - origin
            lows[mode].append((now, low is not None and low.state == "on"))
            results[mode].checks += [
                (exchange.at - clock, Decimal(exchange.balance), out)
                for exchange in new
                if exchange.login == f"user{index}" and exchange.balance
            ]
            if probed:  # how far off, in hours
                off = None if out is None else abs(out - probes[0][1]) / HOUR
                results[mode].errors.append(off)
        if probed:
            probes.pop(0)
    for index, mode in enumerate(MODES):
        result = results[mode]
        result.requests = sum(
            e.login == f"user{index}" and e.at - clock < DAYS * DAY for e in standin.log
        )
        for crossed, back in trace.crossings():
            on = (at for at, low in lows[mode] if crossed <= at < back and low)
            result.delays.append((next(on, math.inf) - crossed) / MINUTE)
    return results


GOALS = (  # trace, figure, the adaptive's at most this many times the fixed's
    ("steady", "requests/day", 0.5),
    ("steady", "median delay (min)", 1),
    ("idle", "requests/day", 0.5),
    ("idle", "median delay (min)", 1),
    ("burst", "requests/day", 1),
    ("burst", "worst delay (min)", 2),
)


def figures(result: Result) -> dict[str, float]:
    """Requests per day, median and worst delay (NaN: no crossing; inf: missed)."""
    delays = result.delays or [math.nan]
    return {
        "requests/day": result.requests / DAYS,
        "median delay (min)": statistics.median(delays),
        "worst delay (min)": max(delays),
    }


def _show(value: float, digits: int = 0) -> str:
    """A figure as printed."""
    if math.isinf(value):
        return "missed"
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def report(traces: tuple[Trace, ...], results: dict[str, dict[str, Result]]) -> str:
    """The table, then each goal with its figures."""
    head = ("trace", "polling", "req/day", "crossings", "median min", "worst min")
    lines = [
        "low_credit_days 0 in both modes: the low-credit sensor is the threshold's.",
        "{:<7} {:<13} {:>7} {:>9} {:>10} {:>9}".format(*head)
        + "  runs-out error a week before (h)",
    ]
    for trace in traces:
        for mode, result in results[trace.name].items():
            requests, median, worst = figures(result).values()
            errors = ", ".join(
                "unknown" if e is None else f"{e:.1f}" for e in result.errors
            )
            lines.append(
                f"{trace.name:<7} {mode:<13} {requests:>7.1f} {len(result.delays):>9} "
                f"{_show(median):>10} {_show(worst):>9}  {errors or 'no run-out'}"
            )
    lines.append("")
    for name, key, factor in GOALS:
        theirs, ours = (figures(results[name][mode])[key] for mode in MODES)
        digits = 1 if key == "requests/day" else 0
        verdict = "met" if ours <= factor * theirs else "NOT met"
        lines.append(
            f"goal, {name}: adaptive {key} {_show(ours, digits)} <= {factor:g} x "
            f"fixed {_show(theirs, digits)}: {verdict}"
        )
    return "\n".join(lines)


def picture(trace: Trace, result: Result) -> str:
    """An 800 x 400 SVG of the trace: credit, adaptive checks, threshold, forecasts."""
    eur = 10 * (int(max(c for _, c in trace.changes)) // 10 + 2)  # room: legend

    def x(at: float) -> float:
        return round(60 + 720 * min(at / DAYS / DAY, 1), 1)

    def y(amount: float | Decimal) -> float:
        return round(350 - 320 * float(amount) / eur, 1)

    def line(x1: float, y1: float, x2: float, y2: float, style: str) -> str:
        return f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" {style}/>'

    def text(at_x: float, at_y: float, words: object, style: str = "") -> str:
        return f'<text x="{at_x}" y="{at_y}" {style}>{words}</text>'

    grid, middle = 'stroke="#eee"', 'text-anchor="middle"'
    credit_style = 'stroke="#246" stroke-width="1.5"'
    threshold = 'stroke="#d33" stroke-dasharray="6 4"'
    forecast = 'stroke="#e80" stroke-dasharray="2 3"'
    dot = '<circle cx="{}" cy="{}" r="2" fill="#2a2"/>'
    hours = (h * HOUR for h in range(DAYS * 24 + 1))
    credit = " ".join(f"{x(at)},{y(trace.credit_at(at))}" for at in hours)
    out = [
        (
            '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400" '
            'font-size="12" font-family="sans-serif">'
        ),
        '<rect width="800" height="400" fill="white"/>',
        text(60, 18, f"{trace.name} trace, {DAYS} days", 'font-size="14"'),
        text(420, 388, "days", middle),
        text(16, 190, "EUR", f'{middle} transform="rotate(-90 16 190)"'),
    ]
    for day in range(0, DAYS + 1, 5):
        out += [line(x(day * DAY), 350, x(day * DAY), 30, grid)]
        out += [text(x(day * DAY), 366, day, middle)]
    for tick in range(0, eur + 1, 10):
        out += [line(60, y(tick), 780, y(tick), grid)]
        out += [text(54, y(tick) + 4, tick, 'text-anchor="end"')]
    out += [
        line(60, y(trace.threshold), 780, y(trace.threshold), threshold),
        f'<polyline points="{credit}" fill="none" {credit_style}/>',
    ]
    for day in range(2, DAYS, 4):  # the forecast of the last check before each
        known = [c for c in result.checks if c[0] <= day * DAY and c[2] is not None]
        if known and (out_at := known[-1][2]) is not None:
            at, amount = known[-1][:2]
            end = min(out_at, DAYS * DAY)  # cut at the right edge
            then = float(amount) * (out_at - end) / (out_at - at)
            out.append(line(x(at), y(amount), x(end), y(then), forecast))
    out += [dot.format(x(at), y(amount)) for at, amount, _ in result.checks]
    out.append(
        '<rect x="620" y="30" width="170" height="72" fill="white" stroke="#ccc"/>'
    )
    legend = (
        (line(0, 0, 20, 0, credit_style), "true credit"),
        (dot.format(10, 0), "adaptive check"),
        (line(0, 0, 20, 0, threshold), "threshold"),
        (line(0, 0, 20, 0, forecast), "forecast to zero"),
    )
    out += [
        f'<g transform="translate(630 {44 + 16 * row})">{mark}{text(26, 4, words)}</g>'
        for row, (mark, words) in enumerate(legend)
    ]
    return "\n".join([*out, "</svg>", ""])


def main() -> None:
    """Simulate every trace, print the table and goals, draw the picture."""
    logging.basicConfig(level=logging.ERROR)
    started = time.monotonic()
    traces = tuple(make_trace(*script) for script in SCRIPTS)
    results = {trace.name: asyncio.run(simulate(trace)) for trace in traces}
    print(report(traces, results))
    PICTURE.write_text(picture(traces[0], results["steady"]["adaptive"]))
    elapsed = time.monotonic() - started
    print(f"\npicture: {PICTURE.relative_to(REPO)}; whole run {elapsed:.0f} s")


if __name__ == "__main__":
    main()
