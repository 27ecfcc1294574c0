"""What a soak run does, drawn from its seed before it starts.

Everything random is drawn here, once: the accounts, and every event with
its time, its account and a number in ``[0, 1)`` (``value``) from which the
event derives whatever it needs (an amount, a wait, a choice). Running the
same plan again does the same thing, and so does any part of it: that is
what lets a failing run be cut down (:mod:`tests.soak.shrink`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import random

DAY = 86400.0

# Where the accounts live. The SMSC sites share one source IP (loopback);
# "www.smsc-kz.localhost" is the same site as "smsc-kz.localhost", as www. is
# at SMSC. Names under .localhost are loopback (RFC 6761), so the config flow
# takes them over plain HTTP, as it takes a local stand-in.
SMSC_HOSTS = (
    "smsc-ru.localhost",
    "smsc-kz.localhost",
    "www.smsc-kz.localhost",
    "smsc-uz.localhost",
)
AGILE_HOST = "agile.localhost"

# Update intervals (minutes) users pick, the default most often.
INTERVALS = (10, 15, 30, 30, 30, 60, 60, 120, 360, 1440)

# How often each event happens, relative to the others. Fixes, re-enabling
# and re-adding also follow their cause (FOLLOW_UPS); on their own they do
# nothing unless there is something to fix.
DEFAULT_WEIGHTS: Mapping[str, float] = {
    # At the provider
    "spend": 20.0,
    "top_up": 5.0,
    "outage": 4.0,  # 5xx, one to three answers
    "timeout": 2.0,
    "connection_reset": 2.0,
    "malformed": 2.0,
    "rate_limited": 2.0,  # Agile 429 with Retry-After; SMSC error 9
    "rate_limited_bare": 1.0,  # Agile 429 without Retry-After
    "ip_block": 1.0,  # SMSC blocks the shared IP at one site
    "password_change": 1.0,  # then the reauth flow, with the new secret
    "fix_reauth": 0.5,
    "allow_list": 1.0,  # the account's allow-list refuses Home Assistant
    "fix_allow_list": 0.5,  # then the repair flow (Agile) or reauth (SMSC)
    # The user
    "reload": 2.0,  # a burst of reloads
    "options": 2.0,  # a new interval, threshold, adaptive polling, forecast days
    "disable": 1.0,
    "enable": 0.5,
    "delete": 0.7,
    "add": 0.5,  # a deleted account added again
    "reconfigure": 1.0,
    "update_entity": 3.0,  # a burst of homeassistant.update_entity
    # The system
    "restart": 0.5,  # Home Assistant stops and starts; storage is kept
    "clock_step": 0.5,  # the wall clock steps, minutes to a year
}

EVENT_KINDS = tuple(DEFAULT_WEIGHTS)

# What the user does some time after (mean seconds): fixes what broke, turns
# back on what they turned off.
FOLLOW_UPS: Mapping[str, tuple[str, float]] = {
    "password_change": ("fix_reauth", 2 * 3600.0),
    "allow_list": ("fix_allow_list", 4 * 3600.0),
    "disable": ("enable", 6 * 3600.0),
    "delete": ("add", 6 * 3600.0),
}


@dataclass(frozen=True, slots=True)
class AccountPlan:
    """One provider account, and how it is first set up."""

    index: int
    provider: str  # "smsc" or "agile"
    host: str
    method: str  # "password" or "api_key"
    login: str
    secret: str
    balance: str
    interval: int  # minutes
    threshold: float


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happens, ``at`` seconds after the start."""

    at: float
    kind: str
    account: int
    value: float


@dataclass(frozen=True, slots=True)
class SoakConfig:
    """How long, how many accounts, and how often each kind of event."""

    seed: int
    days: float = 30.0
    accounts: int = 50
    mean_gap: float | None = None  # seconds between events; None: by accounts
    weights: Mapping[str, float] = field(default_factory=lambda: DEFAULT_WEIGHTS)

    @property
    def duration(self) -> float:
        """Simulated seconds."""
        return self.days * DAY

    @property
    def gap(self) -> float:
        """Seconds between events, on average.

        Each account sees about three events a day, whatever the number of
        accounts (600 s for 50).
        """
        return self.mean_gap or 30000.0 / max(1, self.accounts)


def plan_accounts(config: SoakConfig) -> list[AccountPlan]:
    """The accounts of a run: about two in three at SMSC, the rest at Agile."""
    rng = random.Random(f"accounts-{config.seed}")  # noqa: S311 - a plan, no secret
    accounts = []
    for index in range(config.accounts):
        smsc = index % 3 != 2
        provider = "smsc" if smsc else "agile"
        accounts.append(
            AccountPlan(
                index=index,
                provider=provider,
                host=SMSC_HOSTS[index % len(SMSC_HOSTS)] if smsc else AGILE_HOST,
                method=rng.choice(
                    ("password", "password", "api_key")
                    if smsc
                    else ("password", "api_key")
                ),
                login=f"{provider}{index:02d}",
                secret=f"secret-{config.seed}-{index}-{rng.randrange(10**9):09d}",
                balance=f"{rng.uniform(0, 150):.2f}",
                interval=rng.choice(INTERVALS),
                threshold=float(rng.choice((5, 10, 20, 50))),
            )
        )
    return accounts


def plan_events(config: SoakConfig) -> list[Event]:
    """The events of a run, in time order (a Poisson process), and follow-ups."""
    rng = random.Random(f"events-{config.seed}")  # noqa: S311 - a plan, no secret
    kinds = [k for k, w in config.weights.items() if w > 0]
    weights = [config.weights[k] for k in kinds]
    events = []
    at = 0.0
    while True:
        at += rng.expovariate(1 / config.gap)
        if at >= config.duration:
            break
        event = Event(
            round(at, 3),
            rng.choices(kinds, weights)[0],
            rng.randrange(config.accounts),
            round(rng.random(), 6),
        )
        events.append(event)
        if event.kind in FOLLOW_UPS:
            kind, mean = FOLLOW_UPS[event.kind]
            later = event.at + rng.expovariate(1 / mean)
            if later < config.duration:
                events.append(
                    Event(round(later, 3), kind, event.account, round(rng.random(), 6))
                )
    return sorted(events, key=lambda e: e.at)
