"""One soak run: a fresh Home Assistant, the stand-in, and the plan's events.

The integration runs as it ships, inside Home Assistant's test harness:
config entries added through the config flow, coordinators, entities,
repair issues, reauth and repair flows, the storage file, and the shipped
blueprint in a real automation that notifies a fake ``notify.phone``.
The stand-in provider serves every account on loopback; host names such
as ``smsc-kz.localhost`` resolve to it, so that SMSC accounts on several sites
share one source IP, as they do at home.

Time is simulated: ``freezegun`` holds the clock, and each step moves it
and fires Home Assistant's timers; nothing sleeps. The wall clock the
integration reads (:class:`SoakClock`) can step on its own, as NTP or a
user steps a real machine's, while the monotonic clock (Home Assistant's
scheduler, the stand-in's counting of seconds) runs on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
import hashlib
import logging
from pathlib import Path
import shutil
import socket
import tempfile
import time
from typing import Any
from unittest.mock import patch

from aiohttp.abc import AbstractResolver, ResolveResult
import freezegun
from freezegun.api import FrozenDateTimeFactory
from homeassistant import loader
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntry,
    ConfigEntryDisabler,
    ConfigEntryState,
)
from homeassistant.const import (
    CONF_API_KEY,
    CONF_PASSWORD,
    CONF_USERNAME,
    EVENT_HOMEASSISTANT_FINAL_WRITE,
    EVENT_HOMEASSISTANT_STARTED,
)
from homeassistant.core import CoreState, HomeAssistant, ServiceCall
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    entity_registry as er,
    event as event_helper,
    frame,
    issue_registry as ir,
    translation,
)
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from homeassistant.util.async_ import get_scheduled_timer_handles
from pytest_homeassistant_custom_component.common import (
    async_mock_service,
    async_test_home_assistant,
    mock_storage,
)

from custom_components.sms_credit import coordinator as coordinator_module
from custom_components.sms_credit.const import (
    CONF_ADAPTIVE_POLLING,
    CONF_LOW_CREDIT_DAYS,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_UPDATE_INTERVAL,
    DEFAULT_LOW_CREDIT_DAYS,
    DOMAIN,
)
from custom_components.sms_credit.providers import limiter as limiter_module
from custom_components.sms_credit.store import DATA_STORE
from tests.soak.invariants import Checker, Violation
from tests.soak.plan import AccountPlan, Event, SoakConfig, plan_accounts, plan_events
from tests.standin import Account, StandinProvider

BLUEPRINT = (
    Path(__file__).parents[2] / "blueprints/automation/sms_credit/low_credit.yaml"
)
START = "2026-12-01 08:00:00"
MAX_STEP = 30 * 60.0  # the longest simulated time between two checks
GLOBAL_EVENTS = ("restart", "clock_step")  # of no account
OTHER_IP = "192.0.2.1"  # an allow-list that refuses Home Assistant (loopback)
HANG_SECONDS = 16.0  # a hung request: the client gives up after 15 s
QUIET_SPINS = 200  # loop turns with nothing to do: only the timeout can help
STUCK_SPINS = 20000  # ... and with no request held: a timer everything awaits
_LOGGER = logging.getLogger(__name__)
_MONOTONIC_RESOLUTION = time.get_clock_info("monotonic").resolution


def _next_refresh(loop: asyncio.AbstractEventLoop) -> float | None:
    """When the next refresh a coordinator scheduled is due (loop time)."""
    due = [
        handle.when()
        for handle in get_scheduled_timer_handles(loop)
        if isinstance(handle, asyncio.TimerHandle)
        and not handle.cancelled()
        and isinstance(
            getattr(handle._callback, "__self__", None),
            DataUpdateCoordinator,
        )
    ]
    return min(due, default=None)


def fire_time_changed(hass: HomeAssistant) -> None:
    """:func:`async_fire_time_changed`, without ``unittest.mock`` per timer.

    The same rule (every timer due within half a second runs, with Home
    Assistant's time trackers reading the new time), at a fraction of the
    cost: a soak fires timers hundreds of thousands of times.
    """
    utc = dt_util.utcnow() + timedelta(microseconds=event_helper.RANDOM_MICROSECOND_MAX)
    timestamp = utc.timestamp()
    saved = (event_helper.time_tracker_utcnow, event_helper.time_tracker_timestamp)
    event_helper.time_tracker_utcnow = lambda: utc
    event_helper.time_tracker_timestamp = lambda: timestamp
    try:
        ahead = timestamp - time.time()
        now = hass.loop.time() + _MONOTONIC_RESOLUTION
        for handle in list(get_scheduled_timer_handles(hass.loop)):
            if (
                isinstance(handle, asyncio.TimerHandle)
                and not handle.cancelled()
                and ahead >= handle.when() - now
            ):
                handle._run()
                handle.cancel()
    finally:
        event_helper.time_tracker_utcnow, event_helper.time_tracker_timestamp = saved


class SoakClock:
    """The clocks the integration reads: a wall clock that can step alone.

    ``time()`` is the frozen wall clock plus the steps; ``monotonic()`` is
    the frozen monotonic clock, which a step does not move.
    """

    def __init__(self) -> None:
        """Start with no step."""
        self.offset = 0.0

    def time(self) -> float:
        """The wall clock."""
        return time.time() + self.offset

    def monotonic(self) -> float:
        """Seconds that only a real second moves."""
        return time.monotonic()


class LoopbackResolver(AbstractResolver):
    """Every host name is the stand-in, on 127.0.0.1."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Loopback, whatever the name."""
        del family
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        """Nothing to close."""

    real_close = close  # what the test plugin's resolver calls at the end


class SecretWatch(logging.Handler):
    """Looks for secrets in every log record, as it is written."""

    def __init__(self, secrets: set[str]) -> None:
        """Watch for ``secrets`` (the set may grow)."""
        super().__init__(logging.DEBUG)
        self.secrets = secrets
        self.found: list[str] = []
        self.crashes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Remember a record that holds a secret, or an exception's traceback."""
        text = record.getMessage()
        if record.exc_info:
            text += logging.Formatter().formatException(record.exc_info)
            if record.levelno >= logging.ERROR:
                self.crashes.append(f"{record.name}: {text[-600:]}")
        for secret in self.secrets:
            if secret in text:
                self.found.append(f"{record.name}: {text[:200]}")


@dataclass
class Report:
    """What a run did and found."""

    seed: int
    days: float
    accounts: int
    events: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    requests: int = 0
    checks: int = 0
    violations: list[Violation] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """Whether any invariant was broken."""
        return bool(self.violations)


@dataclass
class AccountState:
    """What the simulated user knows of one account."""

    plan: AccountPlan
    secret: str
    entry_id: str | None = None
    disabled: bool = False
    changes: int = 0  # secrets changed so far

    @property
    def secret_field(self) -> str:
        """The form field that holds the secret."""
        return CONF_API_KEY if self.plan.method == "api_key" else CONF_PASSWORD

    @property
    def login_field(self) -> str:
        """The form field that names the account (a login, or only a name)."""
        return "name" if self.plan.method == "api_key" else CONF_USERNAME


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


@asynccontextmanager
async def fresh_hass(config_dir: Path) -> AsyncIterator[HomeAssistant]:
    """A new Home Assistant, as the test plugin's ``hass`` fixture makes one."""
    loop = asyncio.get_running_loop()
    async with async_test_home_assistant(loop, config_dir=str(config_dir)) as hass:
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS)  # load ours
        frame.async_setup(hass)
        await translation.async_load_integrations(hass, {"homeassistant"})
        try:
            yield hass
        finally:
            loaded = [
                entry.entry_id
                for entry in hass.config_entries.async_entries(DOMAIN)
                if entry.state is ConfigEntryState.LOADED
            ]
            for entry_id in loaded:
                await hass.config_entries.async_unload(entry_id)
            await hass.async_stop(force=True)


class World:
    """The simulated home: Home Assistant, the stand-in, the user, the clocks."""

    def __init__(
        self,
        hass: HomeAssistant,
        freezer: FrozenDateTimeFactory,
        standin: StandinProvider,
        storage: dict[str, Any],
        clock: SoakClock,
        accounts: list[AccountPlan],
    ) -> None:
        """Hold the pieces of one run."""
        self.hass = hass
        self.freezer = freezer
        self.standin = standin
        self.storage = storage
        self.clock = clock
        self.accounts = {a.index: AccountState(a, a.secret) for a in accounts}
        self.secrets: set[str] = set()
        self.port = 0
        self.started = time.monotonic()
        self.notifications: list[ServiceCall] = []
        self.skipped = 0
        self.nudges = 0  # seconds added because everything waited for a timer
        self.automation = "automation.sms_credit_low"

    # Time

    @property
    def now(self) -> float:
        """Simulated seconds since the run started (monotonic)."""
        return time.monotonic() - self.started

    async def advance(self, seconds: float) -> None:
        """Let simulated time pass, and Home Assistant act on it.

        Time stops at every refresh a coordinator scheduled on the way, so
        that each runs on time (not late, at the end of a long step).
        """
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        while (due := _next_refresh(loop)) is not None and due < end:
            self.tick(max(0.0, due - loop.time()))
            await self.settle()
        self.tick(max(0.0, end - loop.time()))
        await self.settle()

    def tick(self, seconds: float) -> None:
        """Move the clock, and fire the timers that are due."""
        self.freezer.tick(timedelta(seconds=seconds))
        fire_time_changed(self.hass)

    async def settle(self) -> None:
        """Let every request, refresh and automation run finish."""
        await self.act(self.hass.async_block_till_done(wait_background_tasks=True))

    async def user[T](self, action: Awaitable[T]) -> T:
        """Like :meth:`act`, for a flow the user drives.

        Its requests are logged as the user's: a flow's failure is not the
        account's.
        """
        self.standin.source = "user"
        try:
            return await self.act(action)
        finally:
            self.standin.source = "poll"

    async def act[T](self, action: Awaitable[T]) -> T:
        """Wait for ``action`` (a user's, or Home Assistant's) to finish.

        A request the stand-in holds (a forced "hang") ends only when the
        client gives up: simulated time moves on until it has. So does a
        timer that everything waits for (an automation's wait).
        """
        task = asyncio.ensure_future(action)
        loop = asyncio.get_running_loop()
        idle = 0
        while not task.done():
            await asyncio.sleep(0)
            # Time moves only once nothing else can: every other request
            # has had its answer read (a tick with an answer unread would
            # time it out too).
            idle = idle + 1 if len(loop._ready) <= 1 else 0
            if idle < (QUIET_SPINS if self.standin.hanging else STUCK_SPINS):
                continue
            idle = 0
            if self.standin.hanging:
                # A second at a time, so that refreshes due meanwhile run.
                self.tick(1)
            else:
                self.nudges += 1
                self.tick(1)
        return await task

    # The provider's side

    def provider_account(self, state: AccountState) -> Account:
        """The stand-in's record of an account."""
        plan = state.plan
        accounts = (
            self.standin.smsc_accounts
            if plan.provider == "smsc"
            else self.standin.agile_accounts
        )
        return accounts[plan.login]

    def url(self, plan: AccountPlan) -> str:
        """The account's server address, as typed into the config flow."""
        return f"http://{plan.host}:{self.port}"

    def remember_secret(self, secret: str) -> None:
        """A secret that must never show up anywhere, and its MD5."""
        self.secrets.update((secret, _md5(secret)))

    def open_accounts(self) -> None:
        """Create every account at the stand-in."""
        for state in self.accounts.values():
            plan = state.plan
            account = Account(
                password=state.secret if plan.method == "password" else "unused-pw",
                api_key=state.secret if plan.method == "api_key" else None,
                balance=plan.balance,
                currency="RUR" if plan.provider == "smsc" else "EUR",
            )
            self.remember_secret(account.password)
            self.remember_secret(state.secret)
            if plan.provider == "smsc":
                self.standin.smsc_accounts[plan.login] = account
            else:
                self.standin.agile_accounts[plan.login] = account

    # Home Assistant's side

    def entry(self, state: AccountState) -> ConfigEntry | None:
        """The account's config entry, if it has one."""
        if state.entry_id is None:
            return None
        return self.hass.config_entries.async_get_entry(state.entry_id)

    def active(self, state: AccountState) -> ConfigEntry | None:
        """The entry, if it exists and is not disabled."""
        entry = self.entry(state)
        return None if entry is None or entry.disabled_by else entry

    def flows(self, state: AccountState, source: str) -> list[dict[str, Any]]:
        """The account's config flows in progress from ``source``."""
        return [
            flow
            for flow in self.hass.config_entries.flow.async_progress_by_handler(DOMAIN)
            if flow["context"].get("source") == source
            and flow["context"].get("entry_id") == state.entry_id
        ]

    def entity_id(self, state: AccountState, domain: str, key: str) -> str | None:
        """The entity ID of one of the account's entities."""
        if state.entry_id is None:
            return None
        return er.async_get(self.hass).async_get_entity_id(
            domain, DOMAIN, f"{state.entry_id}_{key}"
        )

    async def add(self, state: AccountState) -> bool:
        """Add the account through the config flow, as the user does."""
        plan = state.plan
        flow = self.hass.config_entries.flow
        result = await self.act(
            flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        )
        result = await self.act(
            flow.async_configure(result["flow_id"], {"provider": plan.provider})
        )
        if result["step_id"] == "auth_method":
            result = await self.act(
                flow.async_configure(result["flow_id"], {"auth_method": plan.method})
            )
        result = await self.user(
            flow.async_configure(
                result["flow_id"],
                {
                    "advanced": {"custom_host": self.url(plan)},
                    state.login_field: plan.login,
                    state.secret_field: state.secret,
                },
            )
        )
        if result.get("step_id") != "threshold":
            # Refused (a fault at the provider): the user tries again later.
            if result["type"] is FlowResultType.FORM:
                flow.async_abort(result["flow_id"])
            return False
        result = await self.act(
            flow.async_configure(
                result["flow_id"], {CONF_LOW_CREDIT_THRESHOLD: plan.threshold}
            )
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY, result
        state.entry_id = result["result"].entry_id
        state.disabled = False
        await self.settle()
        await self.set_options(state, plan.interval, plan.threshold)
        return True

    async def set_options(
        self,
        state: AccountState,
        interval: int,
        threshold: float,
        *,
        adaptive: bool = True,
        days: int = DEFAULT_LOW_CREDIT_DAYS,
    ) -> None:
        """Change the options through the options flow (all four of them).

        Adaptive polling and the forecast's days default to what a new
        entry gets.
        """
        entry = self.entry(state)
        assert entry is not None
        options = self.hass.config_entries.options
        result = await self.act(options.async_init(entry.entry_id))
        result = await self.act(
            options.async_configure(
                result["flow_id"],
                {
                    CONF_UPDATE_INTERVAL: interval,
                    CONF_ADAPTIVE_POLLING: adaptive,
                    CONF_LOW_CREDIT_THRESHOLD: threshold,
                    CONF_LOW_CREDIT_DAYS: days,
                },
            )
        )
        assert result["type"] is FlowResultType.CREATE_ENTRY, result
        await self.settle()

    async def set_up_automation(self, blueprint: Path) -> None:
        """The shipped blueprint, notifying a fake phone for every account."""
        hass = self.hass
        target = Path(hass.config.config_dir) / (
            "blueprints/automation/sms_credit/low_credit.yaml"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(blueprint, target)
        sensors = [
            self.entity_id(state, "binary_sensor", "low_credit")
            for state in self.accounts.values()
        ]
        config = {
            "id": "sms_credit_low",
            "alias": "SMS credit low",
            "use_blueprint": {
                "path": "sms_credit/low_credit.yaml",
                "input": {
                    "low_credit_sensors": [s for s in sensors if s],
                    "notify_actions": [
                        {
                            "action": "notify.phone",
                            "data": {
                                "title": "{{ title }}",
                                "message": "{{ message }}",
                            },
                        }
                    ],
                    "repeat_hours": 0,
                },
            },
        }
        assert await async_setup_component(hass, "automation", {"automation": config})
        await self.settle()
        assert hass.states.get(self.automation).state == "on"


# The events: each does what its kind says to the account it names, or
# nothing when it does not apply (it is then counted as skipped).

EventHandler = Callable[[World, AccountState, float], Any]
HANDLERS: dict[str, EventHandler] = {}


def handles(kind: str) -> Callable[[EventHandler], EventHandler]:
    """Register the handler of one kind of event."""

    def register(handler: EventHandler) -> EventHandler:
        HANDLERS[kind] = handler
        return handler

    return register


class Skip(Exception):  # noqa: N818 - not an error: the event does not apply
    """The event does not apply to the world as it is."""


def _balance(world: World, state: AccountState) -> Decimal:
    return Decimal(world.provider_account(state).balance)


def _set_balance(world: World, state: AccountState, amount: Decimal) -> None:
    world.provider_account(state).balance = f"{amount:.2f}"


@handles("spend")
async def _spend(world: World, state: AccountState, value: float) -> None:
    spent = Decimal(f"{value * 30:.2f}")
    _set_balance(world, state, max(_balance(world, state) - spent, Decimal(-10)))


@handles("top_up")
async def _top_up(world: World, state: AccountState, value: float) -> None:
    _set_balance(
        world, state, _balance(world, state) + Decimal(f"{20 + value * 180:.2f}")
    )


@handles("outage")
async def _outage(world: World, state: AccountState, value: float) -> None:
    status = (500, 502, 503, 504)[int(value * 4)]
    world.standin.respond_next(
        status,
        "Service Unavailable",
        count=1 + int(value * 12) % 3,
        login=state.plan.login,
    )


@handles("timeout")
async def _timeout(world: World, state: AccountState, value: float) -> None:
    del value
    world.standin.respond_next(504, login=state.plan.login, action="hang")


@handles("connection_reset")
async def _reset(world: World, state: AccountState, value: float) -> None:
    del value
    world.standin.respond_next(500, login=state.plan.login, action="reset")


@handles("malformed")
async def _malformed(world: World, state: AccountState, value: float) -> None:
    body = ("<html>Bad gateway</html>", '{"balance": "NaN"}', "")[int(value * 3)]
    world.standin.respond_next(200, body, login=state.plan.login)


@handles("rate_limited")
async def _rate_limited(world: World, state: AccountState, value: float) -> None:
    if state.plan.provider == "smsc":
        body = '{"error": "too many balance requests", "error_code": 9}'
        world.standin.respond_next(
            200, body, login=state.plan.login, outcome="rate_limited"
        )
        return
    wait = 1 + int(value * 1800)
    world.standin.respond_next(
        429,
        headers={"Retry-After": str(wait)},
        login=state.plan.login,
        outcome="rate_limited",
    )


@handles("rate_limited_bare")
async def _rate_limited_bare(world: World, state: AccountState, value: float) -> None:
    del value
    if state.plan.provider != "agile":
        raise Skip
    world.standin.respond_next(429, login=state.plan.login, outcome="rate_limited")


@handles("ip_block")
async def _ip_block(world: World, state: AccountState, value: float) -> None:
    if state.plan.provider != "smsc":
        raise Skip
    site = state.plan.host.removeprefix("www.")
    # Another device on the same IP made SMSC block it, for up to 30 minutes.
    world.standin.block("127.0.0.1", 60 + value * 1740, site=site)


@handles("password_change")
async def _password_change(world: World, state: AccountState, value: float) -> None:
    del value
    state.changes += 1
    state.secret = f"{state.plan.secret}-changed-{state.changes}"
    world.remember_secret(state.secret)
    if state.plan.method == "api_key":
        world.standin.change_secret(
            state.plan.provider, state.plan.login, api_key=state.secret
        )
    else:
        world.standin.change_secret(
            state.plan.provider, state.plan.login, password=state.secret
        )


async def _finish_reauth(world: World, state: AccountState) -> None:
    flows = world.flows(state, "reauth")
    if not flows:
        raise Skip
    result = await world.user(
        world.hass.config_entries.flow.async_configure(
            flows[0]["flow_id"], {state.secret_field: state.secret}
        )
    )
    del result  # refused when the provider still refuses: the flow stays
    await world.settle()


@handles("fix_reauth")
async def _fix_reauth(world: World, state: AccountState, value: float) -> None:
    del value
    if world.provider_account(state).allowed_ips is not None:
        raise Skip  # the user has not found the real cause yet
    await _finish_reauth(world, state)


@handles("allow_list")
async def _allow_list(world: World, state: AccountState, value: float) -> None:
    del value
    world.provider_account(state).allowed_ips = [OTHER_IP]


@handles("fix_allow_list")
async def _fix_allow_list(world: World, state: AccountState, value: float) -> None:
    del value
    account = world.provider_account(state)
    if account.allowed_ips is None:
        raise Skip
    account.allowed_ips = None
    if state.plan.provider == "smsc":
        # SMSC said "wrong login or IP": the reauth form says both.
        if world.flows(state, "reauth"):
            await _finish_reauth(world, state)
        return
    issue_id = f"ip_not_allowed_{state.entry_id}"
    if ir.async_get(world.hass).async_get_issue(DOMAIN, issue_id) is None:
        return
    manager = repairs_flow_manager(world.hass)
    assert manager is not None
    result = await world.act(manager.async_init(DOMAIN, context={"issue_id": issue_id}))
    await world.act(manager.async_configure(result["flow_id"], {}))
    await world.settle()


@handles("reload")
async def _reload(world: World, state: AccountState, value: float) -> None:
    if world.active(state) is None:
        raise Skip
    for _ in range(1 + int(value * 12)):
        assert state.entry_id is not None
        await world.act(world.hass.config_entries.async_reload(state.entry_id))
        await world.advance(2)


@handles("options")
async def _options(world: World, state: AccountState, value: float) -> None:
    if world.active(state) is None:
        raise Skip
    interval = (5, 10, 15, 30, 60, 120, 720, 1440)[int(value * 8)]
    threshold = float((5, 10, 20, 50, 100)[int(value * 37) % 5])
    adaptive = int(value * 1000) % 3 != 0  # the default, two times in three
    days = (0, 3, 7, 30)[int(value * 10000) % 4]  # 0: no forecast
    await world.set_options(state, interval, threshold, adaptive=adaptive, days=days)


@handles("disable")
async def _disable(world: World, state: AccountState, value: float) -> None:
    del value
    if world.active(state) is None:
        raise Skip
    assert state.entry_id is not None
    await world.act(
        world.hass.config_entries.async_set_disabled_by(
            state.entry_id, ConfigEntryDisabler.USER
        )
    )
    state.disabled = True
    await world.settle()


@handles("enable")
async def _enable(world: World, state: AccountState, value: float) -> None:
    del value
    if world.entry(state) is None or not state.disabled:
        raise Skip
    assert state.entry_id is not None
    await world.act(
        world.hass.config_entries.async_set_disabled_by(state.entry_id, None)
    )
    state.disabled = False
    await world.settle()


@handles("delete")
async def _delete(world: World, state: AccountState, value: float) -> None:
    del value
    if world.entry(state) is None:
        raise Skip
    assert state.entry_id is not None
    await world.act(world.hass.config_entries.async_remove(state.entry_id))
    state.entry_id = None
    await world.settle()


@handles("add")
async def _add(world: World, state: AccountState, value: float) -> None:
    del value
    if state.entry_id is not None:
        raise Skip
    if not await world.add(state):
        raise Skip


@handles("reconfigure")
async def _reconfigure(world: World, state: AccountState, value: float) -> None:
    del value
    entry = world.active(state)
    if entry is None or entry.state is not ConfigEntryState.LOADED:
        raise Skip
    flow = world.hass.config_entries.flow
    result = await world.act(
        flow.async_init(
            DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
        )
    )
    result = await world.user(
        flow.async_configure(
            result["flow_id"],
            {
                "advanced": {"custom_host": world.url(state.plan)},
                state.login_field: state.plan.login,
                state.secret_field: state.secret,
            },
        )
    )
    if result["type"] is FlowResultType.FORM:
        flow.async_abort(result["flow_id"])  # refused: the user gives up
    await world.settle()


@handles("update_entity")
async def _update_entity(world: World, state: AccountState, value: float) -> None:
    entity_id = world.entity_id(state, "sensor", "credit")
    if world.active(state) is None or entity_id is None:
        raise Skip
    spacing = 1 + int(value * 97) % 12
    for _ in range(1 + int(value * 15)):
        await world.act(
            world.hass.services.async_call(
                "homeassistant",
                "update_entity",
                {"entity_id": entity_id},
                blocking=True,
            )
        )
        await world.advance(spacing)


@handles("restart")
async def _restart(world: World, state: AccountState, value: float) -> None:
    del state
    hass = world.hass
    await world.act(
        hass.services.async_call(
            "automation", "turn_off", {"entity_id": world.automation}, blocking=True
        )
    )
    # Flows in progress do not survive a restart.
    for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN):
        hass.config_entries.flow.async_abort(flow["flow_id"])
    await world.settle()
    entries = hass.config_entries.async_entries(DOMAIN)
    for entry in entries:
        if entry.state is not ConfigEntryState.NOT_LOADED:
            await world.act(hass.config_entries.async_unload(entry.entry_id))
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await world.settle()
    hass.data.pop(DATA_STORE, None)  # read again from storage at the start
    issues = ir.async_get(hass)
    for domain, issue_id in list(issues.issues):
        if domain == DOMAIN and not issues.issues[domain, issue_id].is_persistent:
            ir.async_delete_issue(hass, domain, issue_id)  # not kept either
    for entry in entries:
        for entity in er.async_entries_for_config_entry(
            er.async_get(hass), entry.entry_id
        ):
            hass.states.async_remove(entity.entity_id)
    await world.advance(60 + value * 3600)  # stopped
    # A real start is a new process, where "started" fires once. Here one
    # Home Assistant starts many times: a set-up that must retry would wait
    # for a "started" listener that outlives this start (and fires again at
    # the next), so set-ups run as if started already, retrying on a timer.
    for entry in entries:
        assert entry.state is ConfigEntryState.NOT_LOADED, (entry.title, entry.state)
        if not entry.disabled_by:
            await world.act(hass.config_entries.async_setup(entry.entry_id))
    await world.settle()
    hass.set_state(CoreState.starting)  # automations are armed while starting
    await world.act(
        hass.services.async_call(
            "automation", "turn_on", {"entity_id": world.automation}, blocking=True
        )
    )
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await world.settle()


@handles("clock_step")
async def _clock_step(world: World, state: AccountState, value: float) -> None:
    del state
    # Minutes to a year, back or forward (log-uniform).
    magnitude = 60 * (525600 ** ((value * 2) % 1))
    world.clock.offset += magnitude if value >= 0.5 else -magnitude


@contextmanager
def _patched_clocks(clock: SoakClock) -> Iterator[None]:
    with (
        patch.object(limiter_module, "time", clock),
        patch.object(coordinator_module, "time", clock),
    ):
        yield


async def run(
    config: SoakConfig,
    *,
    accounts: list[AccountPlan] | None = None,
    events: list[Event] | None = None,
    blueprint: Path = BLUEPRINT,
    until_first_violation: bool = False,
) -> Report:
    """Run one soak in a fresh Home Assistant; return what it found."""
    accounts = plan_accounts(config) if accounts is None else accounts
    events = plan_events(config) if events is None else events
    report = Report(config.seed, config.days, len(accounts))
    clock = SoakClock()
    # The test plugin runs the loop in debug mode, which records a traceback
    # for every callback: most of a soak's time, and nothing it checks.
    loop = asyncio.get_running_loop()
    debug = loop.get_debug()
    loop.set_debug(False)
    try:
        await _run_in_fresh_hass(
            clock,
            accounts,
            events,
            blueprint,
            report,
            until_first_violation=until_first_violation,
        )
    finally:
        loop.set_debug(debug)
    return report


async def _run_in_fresh_hass(
    clock: SoakClock,
    accounts: list[AccountPlan],
    events: list[Event],
    blueprint: Path,
    report: Report,
    *,
    until_first_violation: bool,
) -> None:
    with (
        tempfile.TemporaryDirectory() as config_dir,
        mock_storage() as storage,
        freezegun.freeze_time(START) as freezer,
        # No stack inspection on every clock reading: nothing here must see
        # the real time.
        patch.object(freezegun.api, "call_stack_inspection_limit", 0),
        _patched_clocks(clock),
        patch(
            "homeassistant.helpers.aiohttp_client._async_make_resolver",
            return_value=LoopbackResolver(),
        ),
    ):
        standin = StandinProvider(clock=time.monotonic)
        standin.keep_seen = False
        standin.hang_seconds = HANG_SECONDS
        await standin.start()
        try:
            async with fresh_hass(Path(config_dir)) as hass:
                world = World(hass, freezer, standin, storage, clock, accounts)
                await _run(
                    world,
                    events,
                    blueprint,
                    report,
                    until_first_violation=until_first_violation,
                )
        finally:
            await standin.close()


async def _apply(world: World, event: Event) -> bool:
    """Carry out one event; ``False`` when it does not apply."""
    state = world.accounts.get(event.account)
    if state is None:  # cut out of a shrunk run; events of all apply
        if event.kind not in GLOBAL_EVENTS:
            return False
        state = next(iter(world.accounts.values()))
    try:
        await HANDLERS[event.kind](world, state, event.value)
        await world.settle()
    except Skip:
        return False
    return True


async def _run(
    world: World,
    events: list[Event],
    blueprint: Path,
    report: Report,
    *,
    until_first_violation: bool,
) -> None:
    hass, standin = world.hass, world.standin
    world.port = int(standin.url.rsplit(":", 1)[1])
    world.open_accounts()
    hass.config.config_dir = str(Path(hass.config.config_dir))
    for component in ("homeassistant", "repairs"):
        assert await async_setup_component(hass, component, {})
    world.notifications = async_mock_service(hass, "notify", "phone")
    watch = SecretWatch(world.secrets)
    root = logging.getLogger()
    ours = logging.getLogger("custom_components.sms_credit")
    level = ours.level
    ours.setLevel(logging.DEBUG)
    # Every record goes to the watch alone: pytest's capture would format
    # each of a soak's many thousands.
    handlers = root.handlers[:]
    root.handlers[:] = [watch]
    checker = Checker(world, watch)
    try:
        for state in world.accounts.values():
            assert await world.add(state), f"could not add {state.plan.login}"
        await world.set_up_automation(blueprint)
        report.checks += checker.check("set-up")
        for number, event in enumerate(events):
            while world.now + MAX_STEP < event.at:
                await world.advance(MAX_STEP)
                report.checks += checker.check("time")
            if event.at > world.now:
                await world.advance(event.at - world.now)
            checker.read_log()
            if await _apply(world, event):
                report.events[event.kind] = report.events.get(event.kind, 0) + 1
            else:
                report.skipped += 1
            report.checks += checker.check(f"event {number} {event.kind}", event)
            if until_first_violation and checker.violations:
                break
        else:
            await world.advance(MAX_STEP)
            report.checks += checker.check("end")
            report.checks += await checker.check_end()
    finally:
        root.handlers[:] = handlers
        ours.setLevel(level)
        report.requests = len(standin.log)
        report.violations = checker.violations
        if hass.states.get(world.automation) is not None:
            await hass.services.async_call(
                "automation", "turn_off", {"entity_id": world.automation}, blocking=True
            )
