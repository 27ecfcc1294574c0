"""The forecast, in simulated weeks: spending, "runs out", top-ups, polling.

Each test runs a real account against the stand-in while ``freezer`` moves
the clock hours and days on; what is asserted is what a user sees: the
states of the new sensors, the low-credit sensor, and how often the
provider is asked.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
import json
import math
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_credit.const import (
    CONF_ADAPTIVE_POLLING,
    CONF_LOW_CREDIT_DAYS,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_UPDATE_INTERVAL,
)
from custom_components.sms_credit.diagnostics import async_get_config_entry_diagnostics
from custom_components.sms_credit.forecast import (
    DAY,
    FLOOR,
    MAX_POINTS,
    learn,
    next_check,
)
from custom_components.sms_credit.providers.limiter import monotonic
from custom_components.sms_credit.store import DATA_STORE
from tests.conftest import entry_data, make_entry, setup_entry, tick
from tests.standin import StandinProvider

# Whole seconds: timestamp sensors show them.
pytestmark = pytest.mark.freeze_time("2026-11-22 12:00:00+00:00")

HOUR = 3600.0
SMSC = "smsc_demo"
AGILE = "agile_telecom_demo"


def state(hass: HomeAssistant, entity_id: str) -> str:
    """An entity's state (it must exist)."""
    found = hass.states.get(entity_id)
    assert found is not None, entity_id
    return found.state


def when(hass: HomeAssistant, entity_id: str) -> datetime | None:
    """A timestamp sensor's value; ``None`` while unknown."""
    value = state(hass, entity_id)
    return None if value == "unknown" else dt_util.parse_datetime(value)


def money(value: str) -> Decimal:
    """A state as an amount."""
    return Decimal(value)


async def spend(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    account: Any,
    *,
    per_hour: str,
    hours: int,
) -> None:
    """The account spends ``per_hour`` at the start of each of ``hours`` hours."""
    for _ in range(hours):
        account.balance = str(Decimal(account.balance) - Decimal(per_hour))
        await tick(hass, freezer, HOUR)


@pytest.fixture
def hourly_entry(standin: StandinProvider) -> MockConfigEntry:
    """An SMSC account checked every hour, on a fixed interval."""
    return make_entry(
        entry_data(standin),
        **{CONF_UPDATE_INTERVAL: 60, CONF_ADAPTIVE_POLLING: False},
    )


async def test_a_new_account_knows_nothing_yet(
    hass: HomeAssistant, standin: StandinProvider, hourly_entry: MockConfigEntry
) -> None:
    """Spending, runs-out and top-up are unknown: never 0, never 1970."""
    await setup_entry(hass, hourly_entry)
    for key in ("spending", "credit_runs_out", "last_top_up", "last_top_up_amount"):
        assert state(hass, f"sensor.{SMSC}_{key}") == "unknown", key
    assert when(hass, f"sensor.{SMSC}_last_checked") == dt_util.utcnow()
    assert state(hass, f"sensor.{SMSC}_status") == "ok"


async def test_steady_spending_gives_a_daily_rate_and_a_date(
    hass: HomeAssistant,
    standin: StandinProvider,
    hourly_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """0.25 RUB an hour: 6 RUB a day, and the day 100.50 RUB run out at that pace.

    Unknown for the first day (too little history), then right.
    """
    account = standin.smsc_accounts["demo"]
    account.balance = "100.50"
    await setup_entry(hass, hourly_entry)
    await spend(hass, freezer, account, per_hour="0.25", hours=12)
    assert state(hass, f"sensor.{SMSC}_spending") == "unknown"
    await spend(hass, freezer, account, per_hour="0.25", hours=24)
    assert money(state(hass, f"sensor.{SMSC}_spending")) == Decimal(6)
    spending = hass.states.get(f"sensor.{SMSC}_spending")
    assert spending.attributes["unit_of_measurement"] == "RUB/d"
    assert spending.attributes["state_class"] == "measurement"
    credit = money(state(hass, f"sensor.{SMSC}_credit"))
    runs_out = when(hass, f"sensor.{SMSC}_credit_runs_out")
    expected = dt_util.utcnow() + timedelta(days=float(credit / 6))
    assert runs_out is not None
    assert abs(runs_out - expected) < timedelta(hours=1)
    assert state(hass, f"sensor.{SMSC}_last_top_up") == "unknown"


async def test_a_top_up_is_not_negative_spending(
    hass: HomeAssistant,
    standin: StandinProvider,
    hourly_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A top-up shows as the last top-up (when, how much); spending stays as it was."""
    account = standin.smsc_accounts["demo"]
    await setup_entry(hass, hourly_entry)
    await spend(hass, freezer, account, per_hour="0.50", hours=30)
    before = money(state(hass, f"sensor.{SMSC}_spending"))
    account.balance = str(Decimal(account.balance) + 50)
    await tick(hass, freezer, HOUR)
    topped_up_at = dt_util.utcnow()
    await spend(hass, freezer, account, per_hour="0.50", hours=5)
    assert when(hass, f"sensor.{SMSC}_last_top_up") == topped_up_at
    amount = hass.states.get(f"sensor.{SMSC}_last_top_up_amount")
    assert money(amount.state) == 50
    assert amount.attributes["unit_of_measurement"] == "RUB"
    assert amount.attributes["device_class"] == "monetary"
    # The same pace: the hour of the top-up spent nothing, nothing negative.
    after = money(state(hass, f"sensor.{SMSC}_spending"))
    assert Decimal("11.4") < after <= before == 12


async def test_a_new_currency_starts_afresh(
    hass: HomeAssistant,
    standin: StandinProvider,
    hourly_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Amounts in two currencies are not compared: the forecast starts again."""
    account = standin.smsc_accounts["demo"]
    await setup_entry(hass, hourly_entry)
    await spend(hass, freezer, account, per_hour="0.50", hours=30)
    assert state(hass, f"sensor.{SMSC}_spending") != "unknown"
    account.currency = "KZT"
    account.balance = "5000"
    await spend(hass, freezer, account, per_hour="10", hours=5)
    assert state(hass, f"sensor.{SMSC}_spending") == "unknown"
    assert state(hass, f"sensor.{SMSC}_credit_runs_out") == "unknown"
    await spend(hass, freezer, account, per_hour="10", hours=24)
    spending = hass.states.get(f"sensor.{SMSC}_spending")
    assert money(spending.state) == 240
    assert spending.attributes["unit_of_measurement"] == "KZT/d"


async def test_outages_and_restarts_are_no_spending(
    hass: HomeAssistant,
    standin: StandinProvider,
    hourly_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A day of outage and two days with Home Assistant off, in the middle.

    What was spent meanwhile counts over the time it took: the pace stays
    right, and what was learned survives the restart.
    """
    account = standin.smsc_accounts["demo"]
    await setup_entry(hass, hourly_entry)
    await spend(hass, freezer, account, per_hour="0.25", hours=30)
    standin.respond_next(503, "down", count=24)  # a check an hour fails
    await spend(hass, freezer, account, per_hour="0.25", hours=24)
    assert state(hass, f"sensor.{SMSC}_credit") == "unavailable"
    assert state(hass, f"sensor.{SMSC}_status") == "error"
    last_checked = when(hass, f"sensor.{SMSC}_last_checked")
    assert last_checked is not None
    assert dt_util.utcnow() - last_checked == timedelta(hours=24)
    # Home Assistant is off for two days while the account spends on.
    assert await hass.config_entries.async_unload(hourly_entry.entry_id)
    await tick(hass, freezer, 2)  # the delayed save
    hass.data.pop(DATA_STORE)
    freezer.tick(timedelta(days=2))
    account.balance = str(Decimal(account.balance) - 12)
    await hass.config_entries.async_setup(hourly_entry.entry_id)
    await hass.async_block_till_done()
    assert hourly_entry.state is ConfigEntryState.LOADED
    assert abs(money(state(hass, f"sensor.{SMSC}_spending")) - 6) < Decimal("0.01")
    assert state(hass, f"sensor.{SMSC}_status") == "ok"


async def test_an_account_that_never_spends_is_checked_rarely(
    hass: HomeAssistant, standin: StandinProvider, freezer: FrozenDateTimeFactory
) -> None:
    """Two weeks without spending: nothing to forecast, a check every 4 hours."""
    entry = make_entry(entry_data(standin), **{CONF_UPDATE_INTERVAL: 240})
    await setup_entry(hass, entry)
    for _ in range(14 * 24):
        await tick(hass, freezer, HOUR)
    assert standin.requests["/sys/balance.php"] == 1 + 14 * 6
    for key in ("spending", "credit_runs_out", "last_top_up"):
        assert state(hass, f"sensor.{SMSC}_{key}") == "unknown", key
    assert state(hass, f"binary_sensor.{SMSC}_low_credit") == "off"


async def test_polling_follows_the_forecast(
    hass: HomeAssistant, standin: StandinProvider, freezer: FrozenDateTimeFactory
) -> None:
    """Far from the threshold, a check every 4 hours; near it, sooner.

    The crossing is seen within ten minutes of happening, with far fewer
    requests than checking every 30 minutes would take (48 a day).
    """
    account = standin.smsc_accounts["demo"]
    account.balance = "40"
    entry = make_entry(
        entry_data(standin),
        **{CONF_UPDATE_INTERVAL: 240, CONF_LOW_CREDIT_DAYS: 0},
    )
    await setup_entry(hass, entry)
    seen_low: datetime | None = None
    crossed: datetime | None = None
    for _ in range(8 * 24 * 6):  # 8 days in 10 minutes' steps: 5 RUB a day
        before = Decimal(account.balance)
        account.balance = str(before - Decimal(5) / 144)
        if crossed is None and Decimal(account.balance) < 10 <= before:
            crossed = dt_util.utcnow()
        await tick(hass, freezer, 600)
        if seen_low is None and state(hass, f"binary_sensor.{SMSC}_low_credit") == "on":
            seen_low = dt_util.utcnow()
    assert crossed is not None
    assert seen_low is not None
    assert timedelta(0) <= seen_low - crossed <= timedelta(seconds=FLOOR + 600)
    requests = standin.requests["/sys/balance.php"]
    assert requests <= 8 * 12  # at most half of every 30 minutes, all told


async def test_low_when_it_runs_out_within_the_days_set(
    hass: HomeAssistant,
    standin: StandinProvider,
    hourly_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Well above the threshold, but gone within 7 days at this pace: low, by forecast.

    With the days option at 0, only the threshold counts.
    """
    account = standin.smsc_accounts["demo"]
    account.balance = "60"
    await setup_entry(hass, hourly_entry)
    low = f"binary_sensor.{SMSC}_low_credit"
    await spend(hass, freezer, account, per_hour="0.25", hours=23)
    assert state(hass, low) == "off"  # no forecast yet
    await spend(hass, freezer, account, per_hour="0.25", hours=2)
    # 53.75 RUB at 6 a day: about 9 days.
    assert state(hass, low) == "off"
    await spend(hass, freezer, account, per_hour="0.25", hours=12)
    # 50.75 RUB: 8.5 days. Then 42 left, 7 days.
    await spend(hass, freezer, account, per_hour="0.25", hours=36)
    sensor = hass.states.get(low)
    assert sensor.state == "on"
    assert sensor.attributes["low_by"] == "forecast"
    assert sensor.attributes["days"] == 7
    assert sensor.attributes["newly_low"] is True
    hass.config_entries.async_update_entry(
        hourly_entry, options={**hourly_entry.options, CONF_LOW_CREDIT_DAYS: 0}
    )
    await hass.async_block_till_done()
    assert state(hass, low) == "off"
    hass.config_entries.async_update_entry(
        hourly_entry, options={**hourly_entry.options, CONF_LOW_CREDIT_THRESHOLD: 100}
    )
    await hass.async_block_till_done()
    assert hass.states.get(low).attributes["low_by"] == "threshold"


async def test_check_now_asks_once_and_shows_it(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """The button: one request, the new credit at once; presses in a row merge."""
    await setup_entry(hass, smsc_entry)
    requests = standin.requests["/sys/balance.php"]
    standin.smsc_accounts["demo"].balance = "42.00"
    for _ in range(3):
        await hass.services.async_call(
            "button", "press", {"entity_id": f"button.{SMSC}_check_now"}, blocking=True
        )
    assert state(hass, f"sensor.{SMSC}_credit") == "42.00"
    assert standin.requests["/sys/balance.php"] == requests + 1


async def test_a_held_back_check_goes_out_when_the_limits_allow(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Ten refreshes in a minute, a password changed at the provider, a reload.

    The reload's check is held back (SMSC allows 10 a minute); the stored
    credit stands in, and the check goes out as soon as the minute is
    over: the reauth request is there within a minute, not an interval later.
    """
    await setup_entry(hass, smsc_entry)
    for _ in range(10):
        await smsc_entry.runtime_data.async_refresh()  # past the debouncer
        await tick(hass, freezer, 3)
    assert standin.requests["/sys/balance.php"] == 10
    standin.change_secret("smsc", "demo", password="changed")
    assert await hass.config_entries.async_reload(smsc_entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, f"sensor.{SMSC}_credit") == "100.50"  # stands in
    for _ in range(35):
        await tick(hass, freezer, 1)
    assert any(
        flow["context"]["source"] == SOURCE_REAUTH
        for flow in hass.config_entries.flow.async_progress()
    )
    assert state(hass, f"sensor.{SMSC}_status") == "rejected"
    assert state(hass, f"sensor.{SMSC}_last_checked") != "unknown"


@pytest.mark.parametrize(
    ("kind", "status"),
    [("ip_blocked", "ip_blocked"), ("ip_not_allowed", "ip_not_allowed")],
)
async def test_status_says_what_the_account_waits_for(
    hass: HomeAssistant,
    standin: StandinProvider,
    agile_entry: MockConfigEntry,
    smsc_entry: MockConfigEntry,
    kind: str,
    status: str,
) -> None:
    """An IP block or an allow-list refusal shows as such on the device page."""
    entry, prefix = (smsc_entry, SMSC) if kind == "ip_blocked" else (agile_entry, AGILE)
    await setup_entry(hass, entry)
    if kind == "ip_blocked":
        standin.block(seconds=600)
    else:
        standin.allowed_ips = ["192.0.2.1"]
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert state(hass, f"sensor.{prefix}_status") == status
    assert state(hass, f"sensor.{prefix}_credit") == "unavailable"
    assert state(hass, f"sensor.{prefix}_last_checked") == "2026-11-22T12:00:00+00:00"


async def test_threshold_on_the_device_edits_the_option(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """One value, two doors: the number entity and the options form."""
    await setup_entry(hass, smsc_entry)
    number = f"number.{SMSC}_low_credit_threshold"
    assert float(state(hass, number)) == 10.0
    assert hass.states.get(number).attributes["unit_of_measurement"] == "RUB"
    requests = standin.requests["/sys/balance.php"]
    await hass.services.async_call(
        "number", "set_value", {"entity_id": number, "value": 200}, blocking=True
    )
    await hass.async_block_till_done()
    assert smsc_entry.options[CONF_LOW_CREDIT_THRESHOLD] == 200
    assert state(hass, f"binary_sensor.{SMSC}_low_credit") == "on"
    assert standin.requests["/sys/balance.php"] == requests  # no request
    hass.config_entries.async_update_entry(
        smsc_entry, options={**smsc_entry.options, CONF_LOW_CREDIT_THRESHOLD: 5}
    )
    await hass.async_block_till_done()
    assert float(state(hass, number)) == 5.0
    with pytest.raises(ServiceValidationError):
        await hass.services.async_call(
            "number",
            "set_value",
            {"entity_id": number, "value": math.nan},
            blocking=True,
        )
    assert smsc_entry.options[CONF_LOW_CREDIT_THRESHOLD] == 5


async def test_diagnostics_show_the_forecast_inputs(
    hass: HomeAssistant,
    standin: StandinProvider,
    hourly_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """What the forecast learned and says, for a bug report; no secret."""
    await setup_entry(hass, hourly_entry)
    await spend(hass, freezer, standin.smsc_accounts["demo"], per_hour="0.25", hours=30)
    diagnostics = await async_get_config_entry_diagnostics(hass, hourly_entry)
    forecast = diagnostics["forecast"]
    assert forecast["daily"] == "6.000000"
    assert forecast["inputs"]["unit"] == "RUB"
    assert len(forecast["inputs"]["points"]) >= 2
    assert forecast["runs_out"] is not None
    assert diagnostics["status"] == "ok"
    assert "demo-password" not in json.dumps(diagnostics)


def test_what_is_kept_stays_small() -> None:
    """A year of answers every 10 minutes: a bounded summary."""
    spending = None
    for step in range(365 * 144):
        spending = learn(spending, step * 600.0, Decimal(10**6 - step), "EUR")
    assert spending is not None
    assert len(spending.points) <= MAX_POINTS + 2
    assert spending.daily == 144


def test_next_check_bounds() -> None:
    """Never sooner than the floor, never later than the longest interval."""
    spending = None
    for hour in range(48):
        spending = learn(spending, hour * HOUR, Decimal(100 - hour), "EUR")
    now = 47 * HOUR
    longest = 4 * HOUR
    assert next_check(None, Decimal(10), 7, longest, now) == longest
    # 53 left, 24 a day, threshold 52: an hour away -> the floor-ish half.
    assert next_check(spending, Decimal(52), 0, longest, now) == max(FLOOR, HOUR / 2)
    # At the threshold: the floor; the longest interval shorter: that.
    assert next_check(spending, Decimal(53), 0, longest, now) == FLOOR
    assert next_check(spending, Decimal(53), 0, 300.0, now) == 300.0
    # Far away: the longest interval.
    assert next_check(spending, Decimal(0), 0, longest, now) == longest
    # Nothing left: nothing will change soon.
    empty = learn(spending, 48 * HOUR, Decimal(0), "EUR")
    assert next_check(empty, Decimal(10), 7, longest, 48 * HOUR) == longest
    assert DAY == 24 * HOUR


async def test_an_unchanged_balance_still_shows_it_was_checked(
    hass: HomeAssistant, standin: StandinProvider, freezer: FrozenDateTimeFactory
) -> None:
    """A day of identical balances: Last checked says minutes ago, not a day."""
    entry = make_entry(entry_data(standin), **{CONF_UPDATE_INTERVAL: 240})
    await setup_entry(hass, entry)
    for _ in range(25):
        await tick(hass, freezer, HOUR)
    last_checked = when(hass, f"sensor.{SMSC}_last_checked")
    assert last_checked is not None
    assert dt_util.utcnow() - last_checked <= timedelta(hours=4)
    # Check now, with the same balance: the check shows at once.
    await hass.services.async_call(
        "button", "press", {"entity_id": f"button.{SMSC}_check_now"}, blocking=True
    )
    assert when(hass, f"sensor.{SMSC}_last_checked") == dt_util.utcnow()


async def test_a_pace_too_slow_to_matter_shows_no_date(
    hass: HomeAssistant,
    standin: StandinProvider,
    hourly_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A millionth spent in two days of 500: no date thousands of years away.

    The sensors stay unknown rather than failing or showing 0.
    """
    account = standin.smsc_accounts["demo"]
    account.balance = "500.000001"
    await setup_entry(hass, hourly_entry)
    await tick(hass, freezer, HOUR)
    account.balance = "500"
    for _ in range(48):
        await tick(hass, freezer, HOUR)
    assert state(hass, f"sensor.{SMSC}_credit_runs_out") == "unknown"
    assert state(hass, f"sensor.{SMSC}_spending") == "unknown"
    assert state(hass, f"binary_sensor.{SMSC}_low_credit") == "off"
    assert Decimal(state(hass, f"sensor.{SMSC}_credit")) == 500


async def test_status_follows_the_reason_from_failure_to_failure(
    hass: HomeAssistant,
    standin: StandinProvider,
    hourly_entry: MockConfigEntry,
) -> None:
    """Unreachable, then blocked: the second reason shows, too."""
    await setup_entry(hass, hourly_entry)
    coordinator = hourly_entry.runtime_data
    standin.respond_next(503, "down")
    await coordinator.async_refresh()
    assert state(hass, f"sensor.{SMSC}_status") == "error"
    standin.block(seconds=600)
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert state(hass, f"sensor.{SMSC}_status") == "ip_blocked"


async def test_status_says_blocked_while_the_stored_credit_stands_in(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An IP block at a reload: the credit stays, Status says why nothing is sent."""
    await setup_entry(hass, smsc_entry)
    coordinator = smsc_entry.runtime_data
    coordinator.limiter.site.block(monotonic() + 600)
    assert await hass.config_entries.async_reload(smsc_entry.entry_id)
    await hass.async_block_till_done()
    assert state(hass, f"sensor.{SMSC}_credit") == "100.50"
    assert state(hass, f"sensor.{SMSC}_status") == "ip_blocked"


async def test_an_option_change_keeps_a_held_back_check(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Held back by the limits, then the threshold edited: the check still goes out."""
    await setup_entry(hass, smsc_entry)
    coordinator = smsc_entry.runtime_data
    for _ in range(11):  # the 11th is held back
        await coordinator.async_refresh()
    assert standin.requests["/sys/balance.php"] == 10
    await hass.services.async_call(
        "number",
        "set_value",
        {"entity_id": f"number.{SMSC}_low_credit_threshold", "value": 20},
        blocking=True,
    )
    for _ in range(62):
        await tick(hass, freezer, 1)
    assert standin.requests["/sys/balance.php"] == 11


async def test_a_forecast_low_period_lasts_until_a_top_up(
    hass: HomeAssistant,
    standin: StandinProvider,
    hourly_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Low by forecast, then hours without spending: still one low period.

    The pace (a week's average) slowly falls and the date moves past the
    7 days; the period holds, and ends with a top-up.
    """
    account = standin.smsc_accounts["demo"]
    account.balance = "60"
    await setup_entry(hass, hourly_entry)
    low = f"binary_sensor.{SMSC}_low_credit"
    await spend(hass, freezer, account, per_hour="0.25", hours=73)
    assert hass.states.get(low).attributes["low_by"] == "forecast"
    since = hass.states.get(low).attributes["low_since"]
    await spend(hass, freezer, account, per_hour="0", hours=24)
    runs_out = when(hass, f"sensor.{SMSC}_credit_runs_out")
    assert runs_out is not None
    assert runs_out - dt_util.utcnow() > timedelta(days=7)
    assert state(hass, low) == "on"
    assert hass.states.get(low).attributes["low_since"] == since
    account.balance = str(Decimal(account.balance) + 100)
    await tick(hass, freezer, HOUR)
    assert state(hass, low) == "off"
