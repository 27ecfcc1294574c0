"""Cutting a failing soak run down to a few events, printed as a plain test.

A plan is data (:mod:`tests.soak.plan`): any part of it can run again. A
violation is kept while the cut-down run still breaks the same invariant
for the same account: first the run ends at the violation, then every
other account goes, then chunks of events go (delta debugging), as long as
a budget of runs allows.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
import time

from tests.soak.invariants import Violation
from tests.soak.plan import AccountPlan, Event, SoakConfig, plan_accounts, plan_events
from tests.soak.world import GLOBAL_EVENTS, Report, run


@dataclass(frozen=True)
class Shrunk:
    """The smallest plan found that still shows the violation."""

    seed: int
    violation: Violation
    accounts: list[AccountPlan]
    events: list[Event]
    runs: int

    def as_test(self) -> str:
        """A regular test that replays it (paste it into tests/soak/)."""
        accounts = "".join(f"            {a!r},\n" for a in self.accounts)
        events = "".join(f"            {e!r},\n" for e in self.events)
        return (
            f"async def test_soak_seed_{self.seed}_{self.violation.invariant}() "
            "-> None:\n"
            f'    """Found by the soak (seed {self.seed}): '
            f'{self.violation.invariant}."""\n'
            "    report = await replay(\n"
            "        accounts=[\n"
            f"{accounts}"
            "        ],\n"
            "        events=[\n"
            f"{events}"
            "        ],\n"
            "    )\n"
            "    assert not report.violations, report.violations\n"
        )


async def replay(
    *, accounts: list[AccountPlan], events: list[Event], days: float | None = None
) -> Report:
    """Run exactly these accounts and events (a regression test's body)."""
    duration = (events[-1].at if events else 0) / 86400 + 0.01
    config = SoakConfig(seed=0, days=days or duration, accounts=len(accounts))
    return await run(config, accounts=accounts, events=events)


def _same(found: Report, violation: Violation) -> bool:
    return any(
        v.invariant == violation.invariant and v.account == violation.account
        for v in found.violations
    )


async def shrink(
    config: SoakConfig,
    violation: Violation,
    *,
    budget_runs: int = 40,
    budget_seconds: float = 300.0,
) -> Shrunk:
    """Cut the run of ``config`` down while it still shows ``violation``."""
    started = time.monotonic()
    runs = 0
    accounts = plan_accounts(config)
    events = [e for e in plan_events(config) if e.at <= violation.at]

    async def still_fails(kept_accounts: list[AccountPlan], kept: list[Event]) -> bool:
        nonlocal runs
        if runs >= budget_runs or time.monotonic() - started > budget_seconds:
            return False
        runs += 1
        indices = {a.index for a in kept_accounts}
        kept = [e for e in kept if e.account in indices or e.kind in GLOBAL_EVENTS]
        days = violation.at / 86400 + 0.01
        found = await run(
            replace(config, days=days, accounts=len(kept_accounts)),
            accounts=kept_accounts,
            events=kept,
            until_first_violation=True,
        )
        return _same(found, violation)

    # The account that broke the promise, alone (others may matter: SMSC
    # sites are shared).
    account = next((a for a in accounts if a.login == violation.account), None)
    if account is not None:
        for kept_accounts in (
            [account],
            [
                a
                for a in accounts
                if a.host.removeprefix("www.") == account.host.removeprefix("www.")
            ],
        ):
            if len(kept_accounts) < len(accounts) and await still_fails(
                kept_accounts, events
            ):
                accounts = kept_accounts
                break
    indices = {a.index for a in accounts}
    events = [e for e in events if e.account in indices or e.kind in GLOBAL_EVENTS]
    # Delta debugging over the events; the last (what broke it) stays.
    last, events = events[-1:], events[:-1]
    chunk = max(1, len(events) // 2)
    while chunk >= 1 and events:
        cut = False
        start = 0
        while start < len(events):
            candidate = events[:start] + events[start + chunk :]
            if await still_fails(accounts, candidate + last):
                events = candidate
                cut = True
            else:
                start += chunk
        if not cut:
            chunk //= 2
    events += last
    return Shrunk(config.seed, violation, accounts, events, runs)
