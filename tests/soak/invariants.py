"""The product's promises, checked against the stand-in's log after every step.

The stand-in logs every request it receives and what it answered
(:class:`tests.standin.Exchange`): that log is the ground truth. After each
step the checker reads the new part of it, and compares what Home
Assistant shows (states, flows, repair issues, storage) with what the
provider really said.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
import json
import math
import re
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState
from homeassistant.core import State
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.util import dt as dt_util

from custom_components.sms_credit.const import (
    CONF_LOW_CREDIT_DAYS,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_UPDATE_INTERVAL,
    DEFAULT_LOW_CREDIT_DAYS,
    DOMAIN,
    MAX_UPDATE_INTERVAL,
    RATE_LIMITED_ISSUE_AFTER,
    STORAGE_KEY,
)
from custom_components.sms_credit.diagnostics import async_get_config_entry_diagnostics
from tests.standin import (
    SMSC_BLOCK_SECONDS,
    SMSC_FAILURES_BEFORE_BLOCK,
    SMSC_MAX_IN_FLIGHT,
    SMSC_REQUESTS_PER_MINUTE,
    Exchange,
)

if TYPE_CHECKING:
    from tests.soak.plan import Event
    from tests.soak.world import AccountState, SecretWatch, World

INVARIANTS: dict[str, str] = {
    "smsc_window": "SMSC: at most 10 balance requests per login in any 60 s",
    "smsc_in_flight": "SMSC: fewer than 15 requests of one login at once",
    "request_during_block": (
        "no request to an SMSC site while a block the integration was told of lasts"
    ),
    "fifth_failed_login": (
        "never the 5th failed login of a 30-minute window at one SMSC site"
    ),
    "retry_after": "Agile: no request before its Retry-After is over",
    "fresh_value": (
        "a credit shown is the provider's last answer, given since the last "
        "failure and within the account's interval (the longest time between "
        "checks, adaptive polling or not); otherwise unavailable"
    ),
    "low_credit": (
        "Low credit is on exactly when the credit shown is under the threshold, "
        "or the forecast says it runs out within the days option (its runs-out "
        "time within that many days of the update); and unavailable with it"
    ),
    "one_alert_per_low_period": (
        "the blueprint notifies exactly once for every low period, under the "
        "threshold or by the forecast"
    ),
    "reauth_flow": (
        "a reauth flow is open exactly while the provider's last answer "
        "rejected the credentials"
    ),
    "repair_issue": "a repair issue exists exactly while its cause does",
    "no_secret": "no secret in logs, diagnostics, storage, titles or unique IDs",
    "storage_bounded": "the storage file does not grow with time or events",
    "no_crash": "no exception escapes into Home Assistant's log",
}

SLACK = 2.0
"""Seconds a scheduled refresh may come after its time (Home Assistant
spreads refreshes over a second)."""
ALERT_GRACE = 10.0
"""Seconds the blueprint may take to notify (it waits up to 5 s for the
credit sensor)."""
BLOCK_GRACE = 180.0
"""Seconds past the longest interval that an IP-blocked issue may stay after
the block ended, with no answer since (the first check after it)."""
STORAGE_BYTES_PER_THING = 1024
"""What storage may hold per entry, login and site: never more with time."""
UNAVAILABLE = ("unavailable", "unknown")
DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken promise."""

    invariant: str
    at: float  # simulated seconds since the start
    step: str
    account: str
    detail: str

    def __str__(self) -> str:
        """One line: what, when, where."""
        return (
            f"{self.invariant} at {self.at:.0f} s ({self.step}), "
            f"{self.account or '-'}: {self.detail}"
        )


@dataclass
class LoginTruth:
    """What the provider really told one login.

    Requests of a flow the user drives (adding, reconfiguring,
    re-authenticating) are the user's: their failures say nothing of the
    entry's own requests, their answers are answers all the same.
    """

    last_ok: Exchange | None = None  # the last balance answered, to anyone
    failed: Exchange | None = None  # the entry's failure since last_ok
    verdict: Exchange | None = None  # the last word on the credentials
    last_real: Exchange | None = None  # the entry's last answer not forced
    last: Exchange | None = None  # the entry's last answer, forced or not
    window: deque[float] = field(default_factory=deque)
    retry_until: float = -math.inf
    refusals: int = 0  # rate-limit refusals in a row, up to the last answer
    deadline: float = -math.inf  # until when last_ok may be shown
    interval: float = 0.0  # the entry's interval (s) the deadline follows


@dataclass
class SiteTruth:
    """What one SMSC site applies to the shared IP address."""

    failures: deque[float] = field(default_factory=deque)
    known_block_until: float = -math.inf
    told_at: float = -math.inf  # when an answer last told of the block


@dataclass
class EntryTruth:
    """The low periods of one config entry, and its notifications."""

    title: str
    baseline: int  # notifications for this title before the entry existed
    period_on: bool = False
    periods: int = 0
    period_began: float = 0.0


class Checker:
    """Checks every invariant after each step; keeps what it found."""

    def __init__(self, world: World, watch: SecretWatch) -> None:
        """Check ``world``; ``watch`` sees every log record."""
        self.world = world
        self.watch = watch
        self.violations: list[Violation] = []
        self._seen = 0  # exchanges of the stand-in's log read so far
        self._logins: dict[str, LoginTruth] = {}
        self._sites: dict[str, SiteTruth] = {}
        self._entries: dict[str, EntryTruth] = {}
        self._step = ""
        self._broken: set[tuple[str, str]] = set()
        self._broken_now: set[tuple[str, str]] = set()
        self._in_flight_told: set[str] = set()
        self._checks = 0
        self._sent: Counter[str] = Counter()
        self._sent_before: Counter[str] = Counter()
        self.largest_storage = 0

    # Reporting

    def _violate(self, invariant: str, account: str, detail: str) -> None:
        # Once for as long as it lasts: a broken promise is reported when it
        # breaks, not again at every step until it mends.
        key = (invariant, account)
        self._broken_now.add(key)
        if key in self._broken:
            return
        self.violations.append(
            Violation(invariant, self.world.now, self._step, account, detail)
        )

    # The stand-in's log

    def read_log(self) -> None:
        """Take in the exchanges since the last check (before an event acts).

        Each is judged under the options in force when it happened.
        """
        self._read_log()

    def _read_log(self) -> None:
        log = self.world.standin.log
        for exchange in log[self._seen :]:
            self._exchange(exchange)
        self._seen = len(log)
        for login, most in self.world.standin.most_in_flight.items():
            if most >= SMSC_MAX_IN_FLIGHT and login not in self._in_flight_told:
                self._in_flight_told.add(login)
                self._violate("smsc_in_flight", login, f"{most} requests at once")

    def _exchange(self, x: Exchange) -> None:
        truth = self._logins.setdefault(x.login, LoginTruth())
        users = x.source == "user"
        if not users:
            truth.last = x
        if x.outcome == "ok":
            truth.last_ok, truth.failed = x, None
            truth.interval = self._interval_of(x.login)
            truth.deadline = x.at + truth.interval
        elif not users:
            truth.failed = x
        if x.outcome == "ok" or (x.outcome == "rejected" and not users):
            truth.verdict = x
        if x.outcome == "ok" or not (users or x.forced):
            truth.last_real = x
        if not users:
            truth.refusals = truth.refusals + 1 if x.outcome == "rate_limited" else 0
        if x.provider == "smsc":
            self._smsc(x, truth)
        else:
            if x.at < truth.retry_until:
                self._violate(
                    "retry_after",
                    x.login,
                    f"request {truth.retry_until - x.at:.0f} s before the "
                    "Retry-After was over",
                )
            if x.outcome == "rate_limited" and x.retry_after:
                truth.retry_until = max(truth.retry_until, x.at + x.retry_after)

    def _smsc(self, x: Exchange, truth: LoginTruth) -> None:
        window = truth.window
        window.append(x.at)
        while window and window[0] <= x.at - 60:
            window.popleft()
        if len(window) > SMSC_REQUESTS_PER_MINUTE:
            self._violate("smsc_window", x.login, f"{len(window)} requests within 60 s")
        site = self._sites.setdefault(x.site, SiteTruth())
        # Requests sent at the same instant went out together, before any
        # answer could tell of the block: only a later one is a breach.
        if site.told_at < x.at < site.known_block_until:
            self._violate(
                "request_during_block",
                x.login,
                f"request to {x.site} {site.known_block_until - x.at:.0f} s "
                "before the block it was told of ended",
            )
        if x.outcome == "blocked":
            # Every request during a block prolongs it (SMSC's rule).
            site.known_block_until = x.at + SMSC_BLOCK_SECONDS
            site.told_at = x.at
        if x.outcome == "rejected":
            failures = site.failures
            failures.append(x.at)
            while failures and failures[0] <= x.at - SMSC_BLOCK_SECONDS:
                failures.popleft()
            if len(failures) >= SMSC_FAILURES_BEFORE_BLOCK:
                self._violate(
                    "fifth_failed_login",
                    x.login,
                    f"{len(failures)} failed logins at {x.site} within 30 min",
                )

    def _interval_of(self, login: str) -> float:
        for state in self.world.accounts.values():
            if state.plan.login == login and (entry := self.world.entry(state)):
                return float(entry.options[CONF_UPDATE_INTERVAL]) * 60
        return 0.0

    # After every step

    def check(self, step: str, event: Event | None = None) -> int:
        """Check everything; return how many checks were made."""
        del event
        self._step = step
        self._checks = 0
        self._read_log()
        self._sent = self._notifications()
        for state in self.world.accounts.values():
            self._account(state)
        self._sent_before = self._sent
        self._stray_issues()
        self._logs()
        self._storage(full=len(self.violations) == 0 and self._seen % 50 == 0)
        self._broken, self._broken_now = self._broken_now, set()
        return self._checks

    def _account(self, state: AccountState) -> None:
        entry = self.world.entry(state)
        if entry is None or entry.disabled_by:
            return
        login = state.plan.login
        truth = self._logins.get(login, LoginTruth())
        hass = self.world.hass
        credit_id = self.world.entity_id(state, "sensor", "credit")
        low_id = self.world.entity_id(state, "binary_sensor", "low_credit")
        credit = hass.states.get(credit_id) if credit_id else None
        low = hass.states.get(low_id) if low_id else None
        amount = _amount(credit.state) if credit else None
        threshold = Decimal(str(entry.options[CONF_LOW_CREDIT_THRESHOLD]))
        self._checks += 5
        if amount is not None:
            self._fresh(login, truth, amount, entry)
        if amount is None:
            if low is not None and low.state not in UNAVAILABLE:
                self._violate(
                    "low_credit", login, f"{low.state} while the credit is unavailable"
                )
        elif low is None or amount < threshold:
            if low is None or (low.state, low.attributes.get("low_by")) != (
                "on",
                "threshold",
            ):
                self._violate(
                    "low_credit",
                    login,
                    f"{_low(low)} with credit {amount} and threshold {threshold}",
                )
        else:
            self._forecast(state, entry, low)
        self._alerts(state, entry, low)
        self._flows_and_issues(state, entry, truth)

    def _forecast(self, state: AccountState, entry: ConfigEntry, low: State) -> None:
        """At or over the threshold: on exactly when the forecast says so.

        The forecast is the integration's own (learned from the answers):
        Low credit must agree with the runs-out time it shows, judged from
        the last answer (Last checked), and the credit-runs-out sensor must
        show the same time. A runs-out time that passed before the update
        is not shown: then only the days are checked. Once on, a low period
        lasts until a top-up or a forecast beyond twice the days.
        """
        login = state.plan.login
        days = int(entry.options.get(CONF_LOW_CREDIT_DAYS, DEFAULT_LOW_CREDIT_DAYS))
        attributes = low.attributes
        runs_out = attributes.get("runs_out")
        checked_id = self.world.entity_id(state, "sensor", "last_checked")
        checked = self.world.hass.states.get(checked_id) if checked_id else None
        checked_at = None if checked is None else dt_util.parse_datetime(checked.state)
        ahead = (
            (runs_out - checked_at).total_seconds()
            if isinstance(runs_out, datetime) and checked_at is not None
            else None
        )
        self._checks += 2
        if low.state == "on":
            # Once on, a low period lasts until a top-up or twice the days.
            wrong = (
                attributes.get("low_by") != "forecast"
                or days <= 0
                or (ahead is not None and ahead > 2 * days * DAY + SLACK)
            )
        else:
            wrong = (
                low.state != "off"
                or attributes.get("low_by") is not None
                or (days > 0 and ahead is not None and ahead < days * DAY - SLACK)
            )
        wrong = wrong or attributes.get("days") != days
        sensor_id = self.world.entity_id(state, "sensor", "runs_out")
        sensor = self.world.hass.states.get(sensor_id) if sensor_id else None
        shown = None if sensor is None else dt_util.parse_datetime(sensor.state)
        if sensor is None or sensor.state in UNAVAILABLE:
            agrees = runs_out is None and sensor is not None
        else:
            agrees = (
                isinstance(runs_out, datetime)
                and shown is not None
                and (abs((shown - runs_out).total_seconds()) < 1)
            )
        if wrong or not agrees:
            when = "never" if ahead is None else f"{ahead / DAY:.2f} days after it"
            self._violate(
                "low_credit",
                login,
                f"{_low(low)} with the credit at or over the threshold, "
                f"{attributes.get('days')} days shown ({days} in the options), "
                f"runs out {when}; credit-runs-out sensor "
                f"{sensor.state if sensor else None}",
            )

    def _fresh(
        self, login: str, truth: LoginTruth, amount: Decimal, entry: ConfigEntry
    ) -> None:
        last, failed = truth.last_ok, truth.failed
        if last is None or failed is not None:
            self._violate(
                "fresh_value",
                login,
                f"shows {amount}, but the provider's last answer was "
                f"{failed.outcome if failed else 'none'}",
            )
            return
        if Decimal(str(last.balance)) != amount:
            self._violate(
                "fresh_value",
                login,
                f"shows {amount}, but the provider last answered {last.balance}",
            )
            return
        now = self.world.standin.clock()
        interval = float(entry.options[CONF_UPDATE_INTERVAL]) * 60
        if interval != truth.interval:
            # A new interval: the next check comes one new interval after
            # the last, and at the earliest in a second.
            truth.deadline = max(last.at + interval, min(truth.deadline, now + SLACK))
            truth.interval = interval
        if now > truth.deadline + SLACK:
            self._violate(
                "fresh_value",
                login,
                f"shows an answer {now - last.at:.0f} s old; the interval is "
                f"{interval:.0f} s",
            )

    def _alerts(
        self, state: AccountState, entry: ConfigEntry, low: State | None
    ) -> None:
        """Low periods as Low credit shows them: on for either reason.

        A gap (unavailable) neither ends nor starts one; a forecast period
        that turns into a threshold period is one period.
        """
        sent = self._sent
        truth = self._entries.get(entry.entry_id)
        if truth is None:
            # New since the last check: what was sent before it is another
            # entry's (an account deleted, then added again: the same title).
            truth = self._entries[entry.entry_id] = EntryTruth(
                entry.title, self._sent_before[entry.title]
            )
            if self._step == "set-up":
                # Before the automation existed: what is low is not news.
                truth.period_on = low is not None and low.state == "on"
        if low is not None and low.state in ("on", "off"):
            is_low = low.state == "on"
            if is_low and not truth.period_on:
                truth.periods += 1
                truth.period_began = self.world.now
            truth.period_on = is_low
        received = sent[entry.title] - truth.baseline
        self._checks += 1
        if received > truth.periods or (
            received < truth.periods
            and self.world.now - truth.period_began > ALERT_GRACE
        ):
            self._violate(
                "one_alert_per_low_period",
                state.plan.login,
                f"{received} notifications for {truth.periods} low periods",
            )

    def _notifications(self) -> Counter[str]:
        sent: Counter[str] = Counter()
        for call in self.world.notifications:
            found = re.match(r"The credit of (.+?) is ", str(call.data["message"]))
            sent[found.group(1) if found else "?"] += 1
        return sent

    def _flows_and_issues(
        self, state: AccountState, entry: ConfigEntry, truth: LoginTruth
    ) -> None:
        login = state.plan.login
        last = truth.verdict  # a fault the soak forced proves nothing
        rejected = last is not None and last.outcome == "rejected"
        reauth = bool(self.world.flows(state, "reauth"))
        self._checks += 4
        if reauth != rejected:
            self._violate(
                "reauth_flow",
                login,
                f"reauth flow {'open' if reauth else 'missing'}; the provider's "
                f"last answer: {last.outcome if last else 'none'}",
            )
        issues = ir.async_get(self.world.hass)

        def exists(kind: str) -> bool:
            return (
                issues.async_get_issue(DOMAIN, f"{kind}_{entry.entry_id}") is not None
            )

        def seen(kind: str) -> str:
            return f"{kind} issue {'exists' if exists(kind) else 'missing'}"

        real = truth.last_real.outcome if truth.last_real else None
        if exists("ip_not_allowed") != (real == "not_allowed"):
            self._violate(
                "repair_issue",
                login,
                f"{seen('ip_not_allowed')}; the provider's last real answer: {real}",
            )
        if (truth.refusals >= RATE_LIMITED_ISSUE_AFTER) != exists("rate_limited"):
            self._violate(
                "repair_issue",
                login,
                f"{seen('rate_limited')} after {truth.refusals} refusals in a row",
            )
        blocked = exists("ip_blocked")
        site = self._sites.get(state.plan.host.removeprefix("www."), SiteTruth())
        ended = self.world.standin.clock() - site.known_block_until
        # (Any other answer, even one the soak forced, says the site answers.)
        told = truth.last.outcome if truth.last else None
        if told == "blocked" and not blocked and ended < 0:
            self._violate(
                "repair_issue", login, "ip_blocked issue missing during a block"
            )
        if blocked and real != "blocked":
            # It goes with the first answer after the block (the entry's
            # next check, up to its longest interval later).
            answered = truth.last_real is not None and (
                truth.last_real.at > site.known_block_until
            )
            if answered or ended > MAX_UPDATE_INTERVAL * 60 + BLOCK_GRACE:
                self._violate(
                    "repair_issue",
                    login,
                    f"ip_blocked issue {ended:.0f} s after the block ended"
                    + (f", after a {real} answer" if answered else ""),
                )

    def _stray_issues(self) -> None:
        """No issue of an entry that is gone or disabled."""
        running = {
            state.entry_id
            for state in self.world.accounts.values()
            if (entry := self.world.entry(state)) and not entry.disabled_by
        }
        for domain, issue_id in ir.async_get(self.world.hass).issues:
            if domain != DOMAIN:
                continue
            if not any(issue_id.endswith(f"_{e}") for e in running if e):
                self._violate("repair_issue", issue_id, "issue of an entry not running")

    def _logs(self) -> None:
        for found in self.watch.found:
            self._violate("no_secret", "log", found)
        self.watch.found.clear()
        for crash in self.watch.crashes:
            self._violate("no_crash", "log", crash)
        self.watch.crashes.clear()

    def _storage(self, *, full: bool) -> None:
        data = self.world.storage.get(STORAGE_KEY)
        if data is None:
            return
        text = json.dumps(data)
        self.largest_storage = max(self.largest_storage, len(text))
        sites = {s.plan.host.removeprefix("www.") for s in self.world.accounts.values()}
        bound = STORAGE_BYTES_PER_THING * (2 * len(self.world.accounts) + len(sites))
        self._checks += 1
        if len(text) > bound:
            self._violate(
                "storage_bounded", "storage", f"{len(text)} bytes (bound {bound})"
            )
        if full:
            self._secrets_in(text, "storage")

    def _secrets_in(self, text: str, where: str) -> None:
        self._checks += 1
        for secret in self.world.secrets:
            if secret in text:
                self._violate("no_secret", where, f"a secret in {where}")
                return

    # At the end of a run

    async def check_end(self) -> int:
        """What is checked once: diagnostics, titles, unique IDs, storage."""
        self._step = "end"
        hass = self.world.hass
        for entry in hass.config_entries.async_entries(DOMAIN):
            self._secrets_in(
                f"{entry.title} {entry.unique_id}", "titles and unique IDs"
            )
            if entry.state is ConfigEntryState.LOADED:
                diagnostics: Any = await async_get_config_entry_diagnostics(hass, entry)
                self._secrets_in(json.dumps(diagnostics, default=str), "diagnostics")
        for entity in er.async_get(hass).entities.values():
            if entity.platform == DOMAIN:
                self._secrets_in(entity.unique_id, "titles and unique IDs")
        data = self.world.storage.get(STORAGE_KEY)
        if data is not None:
            self._secrets_in(json.dumps(data), "storage")
        return self._checks


def _low(low: State | None) -> str:
    """Low credit's state, and why (``low_by``)."""
    if low is None:
        return "no Low credit"
    return f"{low.state} (low_by {low.attributes.get('low_by')})"


def _amount(state: str) -> Decimal | None:
    if state in UNAVAILABLE:
        return None
    try:
        return Decimal(state)
    except InvalidOperation:
        return None
