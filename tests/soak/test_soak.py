"""The simulated soak, in the test command, and proof that it can fail.

``test_soak_seed`` runs a fixed set of seeds (:data:`FIXED`); ``scripts/soak``
runs as many as it is asked for, through the same test, with
``SMS_CREDIT_SOAK_*`` set. A failing seed is cut down (:mod:`.shrink`) and
printed as a plain test to paste in.

``test_the_soak_catches`` runs the soak against deliberately broken
variants of the integration and of the blueprint, and asserts that each
is caught, by the invariant that protects against it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from importlib import import_module
import json
import os
from pathlib import Path
from typing import Any

import pytest

from custom_components.sms_credit import coordinator as coordinator_module
from custom_components.sms_credit.const import MAX_UPDATE_INTERVAL
from custom_components.sms_credit.coordinator import SmsCreditCoordinator
from custom_components.sms_credit.forecast import next_check
from custom_components.sms_credit.helpers import low_credit_days, low_credit_threshold
from custom_components.sms_credit.providers import PROVIDERS, REGISTRY
from custom_components.sms_credit.providers.limiter import monotonic
from tests.soak.plan import DEFAULT_WEIGHTS, AccountPlan, Event, SoakConfig
from tests.soak.shrink import replay, shrink
from tests.soak.world import BLUEPRINT, Report, run

# (seed, days, accounts): three weeks' worth of a full house in short runs,
# and one account group over the whole month.
FIXED = ((1, 3, 50), (2, 3, 50), (3, 3, 50), (4, 30, 10))


def _seeds() -> list[tuple[int, float, int]]:
    """The fixed set, or what ``scripts/soak`` asks for."""
    count = os.environ.get("SMS_CREDIT_SOAK_SEEDS")
    if not count:
        return list(FIXED)
    first = int(os.environ.get("SMS_CREDIT_SOAK_FIRST", "1"))
    days = float(os.environ.get("SMS_CREDIT_SOAK_DAYS", "30"))
    accounts = int(os.environ.get("SMS_CREDIT_SOAK_ACCOUNTS", "50"))
    return [(seed, days, accounts) for seed in range(first, first + int(count))]


def _record(report: Report) -> None:
    """Add a run to the table ``scripts/soak`` prints, if it asked for one."""
    if path := os.environ.get("SMS_CREDIT_SOAK_REPORT"):
        line = {
            **{k: v for k, v in asdict(report).items() if k != "violations"},
            "violations": [v.invariant for v in report.violations],
        }
        with Path(path).open("a", encoding="utf-8") as file:
            file.write(json.dumps(line) + "\n")


def _weights() -> dict[str, float]:
    """The events' weights, with what ``scripts/soak --weights`` changed."""
    weights = dict(DEFAULT_WEIGHTS)
    for item in filter(None, os.environ.get("SMS_CREDIT_SOAK_WEIGHTS", "").split(",")):
        kind, _, weight = item.partition("=")
        assert kind.strip() in weights, f"no such event: {kind!r}"
        weights[kind.strip()] = float(weight)
    return weights


@pytest.mark.parametrize(("seed", "days", "accounts"), _seeds())
async def test_soak_seed(seed: int, days: float, accounts: int) -> None:
    """Every invariant holds after every step of a seeded month."""
    config = SoakConfig(seed=seed, days=days, accounts=accounts, weights=_weights())
    report = await run(config)
    _record(report)
    if report.violations:
        shrunk = await shrink(config, report.violations[0])
        found = "\n".join(f"  {v}" for v in report.violations[:20])
        pytest.fail(
            f"seed {seed} ({days:g} days, {accounts} accounts) broke "
            f"{len(report.violations)} promise(s):\n{found}\n\n"
            f"Cut down to {len(shrunk.events)} events in {shrunk.runs} runs; "
            f"as a test:\n\n{shrunk.as_test()}",
            pytrace=False,
        )


# The broken variants. Each is a small change anyone could make by mistake.


@contextmanager
def _lets_an_11th_request_through() -> Iterator[None]:
    """SMSC's limiter allows 11 requests a minute instead of 10."""
    spec = PROVIDERS["smsc"]
    broken = replace(spec, rate_limit=replace(spec.rate_limit, max_requests=11))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(import_module(REGISTRY["smsc"]), "SPEC", broken)
        yield


@contextmanager
def _keeps_the_stored_balance_after_a_failure() -> Iterator[None]:
    """A failed attempt no longer invalidates the stored answer."""
    failed = SmsCreditCoordinator._failed

    def keep(self: SmsCreditCoordinator, err: Any) -> Exception:
        answer = self.record.answer
        result = failed(self, err)
        self.record.answer = answer
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SmsCreditCoordinator, "_failed", keep)
        yield


@contextmanager
def _ignores_the_forecast() -> Iterator[None]:
    """Low credit turns on under the threshold only, whatever the forecast says."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(coordinator_module, "low_by_forecast", lambda *_, **__: False)
        yield


@contextmanager
def _polls_up_to_the_longest_interval_allowed() -> Iterator[None]:
    """Adaptive polling waits up to the options' maximum, not the entry's interval."""

    def longest_allowed(
        self: SmsCreditCoordinator, *, failed: bool = False, now: float | None = None
    ) -> float:
        del failed
        options = self.config_entry.options
        return next_check(
            self.spending,
            low_credit_threshold(options),
            low_credit_days(options),
            MAX_UPDATE_INTERVAL * 60.0,
            now or monotonic(),
        )

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SmsCreditCoordinator, "_next_check", longest_allowed)
        yield


def _blueprint_ignoring_unavailable(tmp_path: Path) -> Path:
    """The blueprint, notifying only when Low credit turns on from off."""
    text = BLUEPRINT.read_text(encoding="utf-8")
    trigger = '    to: "on"\n    id: turned_on\n'
    assert trigger in text
    broken = tmp_path / "low_credit.yaml"
    broken.write_text(
        text.replace(trigger, '    from: "off"\n' + trigger), encoding="utf-8"
    )
    return broken


# Short runs aimed at each fault: one account group, the events that matter.
BURSTS = SoakConfig(
    seed=11, days=1, accounts=3, mean_gap=1800, weights={"reload": 1, "spend": 1}
)
ACCOUNT = AccountPlan(
    index=0,
    provider="agile",
    host="agile.localhost",
    method="api_key",
    login="agile00",
    secret="secret-broken-variants",
    balance="25.00",
    interval=30,
    threshold=20.0,
)
# A 429 asks for 30 minutes, a reload meanwhile (the stored answer must not
# stand in); later an outage, the credit falls, and it comes back low.
PAUSE_THEN_RELOAD = [
    Event(600, "rate_limited", 0, 0.99),
    Event(601, "update_entity", 0, 0.0),
    Event(700, "reload", 0, 0.0),
]
DROP_THROUGH_AN_OUTAGE = [
    Event(600, "outage", 0, 0.0),
    Event(601, "update_entity", 0, 0.0),
    Event(700, "spend", 0, 0.99),
    Event(701, "update_entity", 0, 0.0),
]
# After a day and a bit, 4.50 of the 25.00 spent: 20.50 is over the
# threshold, and runs out in about 5 days, within the default 7.
SPENT_FOR_A_DAY = [
    Event(95000, "spend", 0, 0.15),
    Event(95001, "update_entity", 0, 0.0),
]


async def test_the_soak_catches_a_limiter_that_lets_an_11th_request_through() -> None:
    """A burst of reloads: the 11th request in a minute is a breach."""
    with _lets_an_11th_request_through():
        report = await run(BURSTS, until_first_violation=True)
    assert "smsc_window" in {v.invariant for v in report.violations}
    assert (await run(BURSTS)).violations == []


async def test_the_soak_catches_a_reload_that_shows_a_stale_balance() -> None:
    """A reload during a wait shows the balance stored before the failure."""
    with _keeps_the_stored_balance_after_a_failure():
        report = await replay(accounts=[ACCOUNT], events=PAUSE_THEN_RELOAD)
    assert "fresh_value" in {v.invariant for v in report.violations}
    assert (await replay(accounts=[ACCOUNT], events=PAUSE_THEN_RELOAD)).violations == []


async def test_the_soak_catches_a_low_credit_that_ignores_the_forecast() -> None:
    """Over the threshold, running out within the days set: Low credit stays off."""
    with _ignores_the_forecast():
        report = await replay(accounts=[ACCOUNT], events=SPENT_FOR_A_DAY)
    assert "low_credit" in {v.invariant for v in report.violations}
    assert (await replay(accounts=[ACCOUNT], events=SPENT_FOR_A_DAY)).violations == []


async def test_the_soak_catches_adaptive_polling_past_the_interval() -> None:
    """Adaptive polling without a forecast waits a day: the credit goes stale."""
    events = [Event(3 * 3600, "spend", 0, 0.0)]
    with _polls_up_to_the_longest_interval_allowed():
        report = await replay(accounts=[ACCOUNT], events=events)
    assert "fresh_value" in {v.invariant for v in report.violations}
    assert (await replay(accounts=[ACCOUNT], events=events)).violations == []


async def test_the_soak_catches_a_blueprint_that_ignores_unavailable(
    tmp_path: Path,
) -> None:
    """Low credit turns on from unavailable: the alert must not be lost."""
    config = SoakConfig(seed=0, days=0.05, accounts=1)
    report = await run(
        config,
        accounts=[ACCOUNT],
        events=DROP_THROUGH_AN_OUTAGE,
        blueprint=_blueprint_ignoring_unavailable(tmp_path),
    )
    assert "one_alert_per_low_period" in {v.invariant for v in report.violations}
    fixed = await replay(accounts=[ACCOUNT], events=DROP_THROUGH_AN_OUTAGE)
    assert fixed.violations == []


async def test_a_failing_run_is_cut_down_to_a_plain_test() -> None:
    """The broken limiter's breach, cut to a few events, printed as a test."""
    with _lets_an_11th_request_through():
        report = await run(BURSTS, until_first_violation=True)
        (violation,) = report.violations
        shrunk = await shrink(BURSTS, violation, budget_runs=12)
        again = await replay(accounts=shrunk.accounts, events=shrunk.events)
    assert len(shrunk.accounts) == 1
    assert len(shrunk.events) < 5  # from a day of events
    assert "smsc_window" in {v.invariant for v in again.violations}
    test = shrunk.as_test()
    compile(test, "<shrunk>", "exec")  # valid Python, ready to paste
    assert "async def test_soak_seed_11_smsc_window() -> None:" in test


async def test_the_same_seed_runs_the_same() -> None:
    """A run is its plan: the same seed sends the same requests, at the same times."""
    config = replace(BURSTS, weights=DEFAULT_WEIGHTS, mean_gap=900)
    first, second = await run(config), await run(config)
    assert first.requests > 20
    assert (first.events, first.requests, first.checks) == (
        second.events,
        second.requests,
        second.checks,
    )


async def test_a_forecast_that_ran_out_between_answers_stays_low_and_consistent() -> (
    None
):
    """Found by the soak's forecast invariant: shown again after its date.

    The forecast of the last answer (6 EUR, 6.6 hours left) has passed when
    an options change rewrites the entities: Low credit stays on by the
    forecast (judged at the last answer), the date is no longer shown, and
    the blueprint's message does not claim the threshold.
    """
    account = AccountPlan(
        index=0,
        provider="agile",
        host="agile.localhost",
        method="api_key",
        login="agile00",
        secret="secret-probe",
        balance="30.00",
        interval=30,
        threshold=5.0,
    )
    report = await replay(
        accounts=[account],
        events=[
            Event(100, "options", 0, 0.9482),  # 1440 min, adaptive off, 7 days
            Event(95000, "spend", 0, 0.8),  # 30 -> 6
            Event(95001, "update_entity", 0, 0.0),
            Event(95001 + 8 * 3600, "options", 0, 0.813001),  # 720 min, 7 days
        ],
    )
    assert not report.violations, report.violations


async def test_a_forecast_wavering_at_the_days_set_is_one_low_period() -> None:
    """Found by the soak (seed 1): Low credit on for one check, off at the next.

    A drop makes the credit run out in 6.97 days, ten minutes without
    spending in 7.002: the period holds (until a top-up or twice the days)
    and is notified once.
    """
    account = AccountPlan(
        index=31,
        provider="smsc",
        host="smsc-uz.localhost",
        method="password",
        login="smsc31",
        secret="secret-1-31-103123431",
        balance="86.24",
        interval=10,
        threshold=20.0,
    )
    report = await replay(
        accounts=[account],
        events=[
            Event(at=77527.339, kind="spend", account=31, value=0.192),
            Event(at=140135.729, kind="spend", account=31, value=0.351357),
        ],
    )
    assert not report.violations, report.violations
