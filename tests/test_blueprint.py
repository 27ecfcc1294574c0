"""The low-credit notification blueprint, as Home Assistant loads and runs it.

Every test drives a real automation made from the shipped blueprint (the
automation and blueprint components loaded) against the integration and the
stand-in provider, and counts what a fake notification action receives. The
promise: one notification for each low period — none lost on the way
through ``unavailable``, none repeated by a reload or a restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
import re
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.const import EVENT_HOMEASSISTANT_STARTED, EVENT_STATE_CHANGED
from homeassistant.core import CoreState, Event, HomeAssistant, ServiceCall, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.sms_credit.const import (
    CONF_ADAPTIVE_POLLING,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_UPDATE_INTERVAL,
)
from custom_components.sms_credit.store import DATA_STORE
from tests.conftest import entry_data, make_entry, setup_entry
from tests.standin import StandinProvider

BLUEPRINT = (
    Path(__file__).parents[1] / "blueprints/automation/sms_credit/low_credit.yaml"
)
AUTOMATION = "automation.sms_credit_low"
LOW_CREDIT = "binary_sensor.smsc_demo_low_credit"
CREDIT = "sensor.smsc_demo_credit"
MESSAGE = (
    "The credit of SMSC · demo is 5.25 RUB, below its low-credit threshold of "
    "10 RUB. Top it up to keep sending SMS."
)
INTERVAL = 30 * 60 + 1  # one poll


def phone_action(service: str = "notify.phone") -> list[dict[str, Any]]:
    """Notification actions as the action selector saves them."""
    return [
        {
            "action": service,
            "data": {"title": "{{ title }}", "message": "{{ message }}"},
        }
    ]


def test_valid_automation_blueprint() -> None:
    """Home Assistant's own schemas accept it as an automation blueprint."""
    data = load_yaml_dict(str(BLUEPRINT))
    BLUEPRINT_SCHEMA(data)
    blueprint = Blueprint(
        data, expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
    )
    assert set(blueprint.inputs) == {
        "low_credit_sensors",
        "notify_actions",
        "notify_entities",
        "title",
        "notify_action",  # kept for automations made with an earlier version
        "repeat_hours",
    }
    sensors = blueprint.inputs["low_credit_sensors"]["selector"]["entity"]
    assert sensors["multiple"] is True
    assert sensors["filter"] == [
        {"domain": ["binary_sensor"], "integration": "sms_credit"}
    ]
    # Chosen from what exists, never typed: actions and notify entities.
    assert blueprint.inputs["notify_actions"]["selector"] == {"action": {}}
    assert blueprint.inputs["notify_entities"]["selector"]["entity"]["filter"] == [
        {"domain": ["notify"]}
    ]
    (default,) = blueprint.inputs["notify_actions"]["default"]
    assert default["action"] == "persistent_notification.create"


async def low_credit_automation(
    hass: HomeAssistant,
    tmp_path: Path,
    sensors: tuple[str, ...] = (LOW_CREDIT,),
    **inputs: Any,
) -> None:
    """Set up an automation from the blueprint, as the UI would save it."""
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints/automation/sms_credit/low_credit.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(BLUEPRINT, target)
    config = {
        "id": "sms_credit_low",
        "alias": "SMS credit low",
        "use_blueprint": {
            "path": "sms_credit/low_credit.yaml",
            "input": {"low_credit_sensors": list(sensors), **inputs},
        },
    }
    assert await async_setup_component(hass, "automation", {"automation": config})
    await hass.async_block_till_done()
    assert hass.states.get(AUTOMATION).state == "on"


@pytest.fixture(autouse=True)
async def automation_stops(hass: HomeAssistant) -> AsyncIterator[None]:
    """Turn the automation off after each test: its hourly trigger stops."""
    yield
    if hass.states.get(AUTOMATION) is not None:
        await hass.services.async_call(
            "automation", "turn_off", {"entity_id": AUTOMATION}, blocking=True
        )


async def advance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    seconds: float,
    until: Callable[[], bool] = lambda: False,
) -> None:
    """Let simulated time pass, then let Home Assistant work until ``until()``."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await settle(hass, until)


async def settle(
    hass: HomeAssistant, until: Callable[[], bool] = lambda: False
) -> None:
    """Let the stand-in answer over loopback and the automation run."""
    for _ in range(400):
        if until():
            return
        await asyncio.sleep(0)
    await hass.async_block_till_done(wait_background_tasks=True)


def states_of(hass: HomeAssistant, entity_id: str) -> list[str]:
    """Record every state ``entity_id`` takes from now on."""
    seen: list[str] = []

    def _changed(event: Event[Any]) -> None:
        if event.data["entity_id"] == entity_id and event.data["new_state"]:
            seen.append(event.data["new_state"].state)

    hass.bus.async_listen(EVENT_STATE_CHANGED, _changed)
    return seen


async def set_threshold(
    hass: HomeAssistant, entry: MockConfigEntry, value: float
) -> None:
    """Change the threshold through the options flow, as the user does."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    await hass.config_entries.options.async_configure(
        result["flow_id"], {**entry.options, CONF_LOW_CREDIT_THRESHOLD: value}
    )
    await settle(hass)


async def restart(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    entries: tuple[MockConfigEntry, ...],
    while_stopped: Callable[[], None] = lambda: None,
) -> None:
    """Home Assistant stops and starts again; only storage survives.

    As at a real start, the integration sets up before automations are
    armed, and "started" fires last.
    """
    await hass.services.async_call(
        "automation", "turn_off", {"entity_id": AUTOMATION}, blocking=True
    )
    for entry in entries:
        await hass.config_entries.async_unload(entry.entry_id)
    await advance(hass, freezer, 2)  # the delayed save runs
    hass.data.pop(DATA_STORE)
    for state in hass.states.async_all(("sensor", "binary_sensor")):
        hass.states.async_remove(state.entity_id)
    while_stopped()
    await advance(hass, freezer, 10 * 60)
    hass.set_state(CoreState.starting)
    for entry in entries:
        await hass.config_entries.async_setup(entry.entry_id)
    await settle(hass)
    await hass.services.async_call(
        "automation", "turn_on", {"entity_id": AUTOMATION}, blocking=True
    )
    hass.set_state(CoreState.running)
    hass.bus.async_fire(EVENT_HOMEASSISTANT_STARTED)
    await settle(hass)


async def credit_falls(
    hass: HomeAssistant,
    standin: StandinProvider,
    freezer: FrozenDateTimeFactory,
    calls: list[ServiceCall],
) -> None:
    """The balance drops under the threshold (10) at the next update."""
    standin.smsc_accounts["demo"].balance = "5.25"
    sent = len(calls)
    await advance(hass, freezer, INTERVAL, lambda: len(calls) > sent)
    assert hass.states.get(LOW_CREDIT).state == "on"


@pytest.fixture
def phone(hass: HomeAssistant) -> list[ServiceCall]:
    """The calls of a fake ``notify.phone`` action."""
    return async_mock_service(hass, "notify", "phone")


@pytest.fixture
async def watched(
    hass: HomeAssistant,
    smsc_entry: MockConfigEntry,
    tmp_path: Path,
    phone: list[ServiceCall],
) -> None:
    """The demo account set up, and the blueprint's automation notifying the phone."""
    await setup_entry(hass, smsc_entry)
    await low_credit_automation(hass, tmp_path, notify_actions=phone_action())


async def test_notifies_once_when_credit_falls(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    phone: list[ServiceCall],
) -> None:
    """One notification through the chosen action, with credit and threshold."""
    await setup_entry(hass, smsc_entry)
    assert hass.states.get(LOW_CREDIT).state == "off"
    await low_credit_automation(hass, tmp_path, notify_actions=phone_action())
    assert phone == []

    await credit_falls(hass, standin, freezer, phone)

    assert [call.data for call in phone] == [
        {"title": "SMS credit is low", "message": MESSAGE}
    ]
    assert "http" not in phone[0].data["message"]  # nothing to log in to
    for _ in range(5):  # no reminders asked for
        await advance(hass, freezer, 3600)
    assert len(phone) == 1


async def test_credit_is_written_before_low_credit_turns_on(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Whatever "Low credit" triggers reads the credit that turned it on."""
    await setup_entry(hass, smsc_entry)
    assert await hass.config_entries.async_reload(smsc_entry.entry_id)  # same order
    await settle(hass)
    order: list[tuple[str, str]] = []

    @callback
    def _changed(event: Event[Any]) -> None:
        if (new := event.data["new_state"]) and new.entity_id in (CREDIT, LOW_CREDIT):
            order.append((new.entity_id, new.state))

    hass.bus.async_listen(EVENT_STATE_CHANGED, _changed)
    standin.smsc_accounts["demo"].balance = "5.25"
    await advance(hass, freezer, INTERVAL)
    assert order == [(CREDIT, "5.25"), (LOW_CREDIT, "on")]


async def test_default_action_is_a_persistent_notification(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """With nothing chosen, the sidebar gets the notification: no set-up needed."""
    await setup_entry(hass, smsc_entry)
    persistent = async_mock_service(hass, "persistent_notification", "create")
    await low_credit_automation(hass, tmp_path)
    await credit_falls(hass, standin, freezer, persistent)
    assert [call.data for call in persistent] == [
        {"title": "SMS credit is low", "message": MESSAGE}
    ]


async def test_threshold_raised_above_the_credit_notifies_once(
    hass: HomeAssistant,
    watched: None,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    phone: list[ServiceCall],
) -> None:
    """The options apply live: low credit turns on, never unavailable, one message."""
    low_states, credit_states = states_of(hass, LOW_CREDIT), states_of(hass, CREDIT)

    await set_threshold(hass, smsc_entry, 200)

    assert low_states == ["on"]
    assert "unavailable" not in credit_states
    raised = (
        "The credit of SMSC · demo is 100.50 RUB, below its low-credit threshold "
        "of 200 RUB. Top it up to keep sending SMS."
    )
    assert [call.data["message"] for call in phone] == [raised]
    state = hass.states.get(LOW_CREDIT)
    assert state.attributes["threshold"] == 200
    assert state.attributes["newly_low"] is True
    await advance(hass, freezer, 3 * INTERVAL)
    assert len(phone) == 1


async def test_drop_through_unavailable_is_notified(
    hass: HomeAssistant,
    watched: None,
    standin: StandinProvider,
    freezer: FrozenDateTimeFactory,
    phone: list[ServiceCall],
) -> None:
    """Off → unavailable → on: the credit fell during the outage."""
    low_states = states_of(hass, LOW_CREDIT)
    standin.respond_next(503, "Service Unavailable")
    await advance(hass, freezer, INTERVAL)
    assert hass.states.get(LOW_CREDIT).state == "unavailable"

    standin.smsc_accounts["demo"].balance = "5.25"
    await advance(hass, freezer, INTERVAL, lambda: bool(phone))

    assert low_states == ["unavailable", "on"]
    assert [call.data["message"] for call in phone] == [MESSAGE]


async def test_low_through_an_outage_is_not_notified_again(
    hass: HomeAssistant,
    watched: None,
    standin: StandinProvider,
    freezer: FrozenDateTimeFactory,
    phone: list[ServiceCall],
) -> None:
    """On → unavailable → on: the same low period, already notified."""
    await credit_falls(hass, standin, freezer, phone)
    since = hass.states.get(LOW_CREDIT).attributes["low_since"]
    low_states = states_of(hass, LOW_CREDIT)

    standin.respond_next(503, "Service Unavailable")
    await advance(hass, freezer, INTERVAL)
    standin.smsc_accounts["demo"].balance = "4.00"  # spent more meanwhile
    await advance(hass, freezer, INTERVAL)

    assert low_states == ["unavailable", "on"]
    state = hass.states.get(LOW_CREDIT)
    assert state.attributes["low_since"] == since
    assert state.attributes["newly_low"] is False
    assert len(phone) == 1


async def test_reload_while_low_does_not_notify_again(
    hass: HomeAssistant,
    watched: None,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    phone: list[ServiceCall],
) -> None:
    """A reload shows the sensor unavailable, then on again: same period."""
    await credit_falls(hass, standin, freezer, phone)
    low_states = states_of(hass, LOW_CREDIT)

    await advance(hass, freezer, 60)
    assert await hass.config_entries.async_reload(smsc_entry.entry_id)
    await settle(hass)

    assert low_states == ["unavailable", "on"]
    assert len(phone) == 1


async def test_drop_found_by_a_reload_is_notified(
    hass: HomeAssistant,
    watched: None,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    phone: list[ServiceCall],
) -> None:
    """Unavailable → on after a reload that finds the credit fallen."""
    standin.smsc_accounts["demo"].balance = "5.25"
    await advance(hass, freezer, 60)
    assert await hass.config_entries.async_reload(smsc_entry.entry_id)
    await settle(hass, lambda: bool(phone))
    assert [call.data["message"] for call in phone] == [MESSAGE]


async def test_restart_while_low_does_not_notify_again(
    hass: HomeAssistant,
    watched: None,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    phone: list[ServiceCall],
) -> None:
    """At start-up the sensor turns on again while low: already notified."""
    await credit_falls(hass, standin, freezer, phone)
    since = hass.states.get(LOW_CREDIT).attributes["low_since"]

    await restart(hass, freezer, (smsc_entry,))

    state = hass.states.get(LOW_CREDIT)
    assert state.state == "on"
    assert state.attributes["low_since"] == since
    assert len(phone) == 1


async def test_drop_while_stopped_is_notified_at_start(
    hass: HomeAssistant,
    watched: None,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    phone: list[ServiceCall],
) -> None:
    """The credit fell while Home Assistant was off: notified once it started."""

    def spend() -> None:
        standin.smsc_accounts["demo"].balance = "5.25"

    await restart(hass, freezer, (smsc_entry,), spend)

    assert [call.data["message"] for call in phone] == [MESSAGE]
    await restart(hass, freezer, (smsc_entry,))
    assert len(phone) == 1


async def test_accounts_low_at_once_are_each_notified(
    hass: HomeAssistant,
    standin: StandinProvider,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    phone: list[ServiceCall],
) -> None:
    """Two accounts falling in the same moment: neither run cancels the other."""
    standin.update({"smsc": {"other": {"password": "demo-password"}}})
    entries = (
        make_entry(entry_data(standin)),
        make_entry(entry_data(standin, username="other"), entry_id="other"),
    )
    for entry in entries:
        await setup_entry(hass, entry)
    sensors = (LOW_CREDIT, "binary_sensor.smsc_other_low_credit")
    await low_credit_automation(hass, tmp_path, sensors, notify_actions=phone_action())
    for account in ("demo", "other"):
        standin.smsc_accounts[account].balance = "5.25"

    await advance(hass, freezer, INTERVAL, lambda: len(phone) > 1)

    assert sorted(call.data["message"][:30] for call in phone) == [
        "The credit of SMSC · demo is 5",
        "The credit of SMSC · other is ",
    ]


async def test_reminds_while_low_and_stops_when_topped_up(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    phone: list[ServiceCall],
) -> None:
    """Reminders every N hours go to notify entities too, until the credit is up."""
    await setup_entry(hass, smsc_entry)
    sent: list[ServiceCall] = async_mock_service(hass, "notify", "send_message")
    await low_credit_automation(
        hass,
        tmp_path,
        notify_actions=phone_action(),
        notify_entities=["notify.telegram"],
        title="Top up SMS",
        repeat_hours=2,
    )

    await credit_falls(hass, standin, freezer, sent)
    assert len(phone) == len(sent) == 1
    assert sent[0].data == {
        "entity_id": ["notify.telegram"],
        "title": "Top up SMS",
        "message": MESSAGE,
    }
    assert phone[0].data == {"title": "Top up SMS", "message": MESSAGE}

    # Hourly checks: a reminder once the period is 2 and 4 hours old.
    for _ in range(5):
        await advance(hass, freezer, 3600)
    assert len(phone) == len(sent) == 3

    standin.smsc_accounts["demo"].balance = "50.00"
    await advance(hass, freezer, INTERVAL)
    assert hass.states.get(LOW_CREDIT).state == "off"
    for _ in range(5):
        await advance(hass, freezer, 3600)
    assert len(phone) == 3


async def test_automation_saved_with_the_old_text_input_still_runs(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """Made before the action selector: its typed action still gets the alert."""
    await setup_entry(hass, smsc_entry)
    persistent = async_mock_service(hass, "persistent_notification", "create")
    phone = async_mock_service(hass, "notify", "phone")
    await low_credit_automation(hass, tmp_path, notify_action=" notify.phone ")
    await credit_falls(hass, standin, freezer, phone)
    assert [call.data for call in phone] == [
        {"title": "SMS credit is low", "message": MESSAGE}
    ]
    assert persistent == []  # instead of the default, not on top of it


async def test_renamed_credit_sensor_still_shows_the_new_credit(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    phone: list[ServiceCall],
) -> None:
    """A renamed entity is added again, after Low credit: the message waits for it."""
    await setup_entry(hass, smsc_entry)
    er.async_get(hass).async_update_entity(CREDIT, new_entity_id="sensor.sms_money")
    await settle(hass)
    await low_credit_automation(hass, tmp_path, notify_actions=phone_action())
    standin.smsc_accounts["demo"].balance = "5.25"
    await advance(hass, freezer, INTERVAL, lambda: bool(phone))
    assert [call.data["message"] for call in phone] == [MESSAGE]
    state = hass.states.get(LOW_CREDIT)
    assert state.attributes["credit_entity"] == "sensor.sms_money"


@pytest.mark.parametrize("repeat_hours", [0, 1])
async def test_quiet_while_credit_is_fine(
    hass: HomeAssistant,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    repeat_hours: int,
) -> None:
    """No notification while no account is low, reminders on or off."""
    await setup_entry(hass, smsc_entry)
    persistent: list[ServiceCall] = async_mock_service(
        hass, "persistent_notification", "create"
    )
    await low_credit_automation(hass, tmp_path, repeat_hours=repeat_hours)
    for _ in range(3):
        await advance(hass, freezer, 3600)
    assert hass.states.get(LOW_CREDIT).state == "off"
    assert persistent == []


async def test_running_out_soon_says_so(
    hass: HomeAssistant,
    standin: StandinProvider,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
    phone: list[ServiceCall],
) -> None:
    """Low by the forecast: the message gives the date, not the threshold."""
    account = standin.smsc_accounts["demo"]
    account.balance = "60"
    entry = make_entry(
        entry_data(standin),
        **{CONF_UPDATE_INTERVAL: 60, CONF_ADAPTIVE_POLLING: False},
    )
    await setup_entry(hass, entry)
    await low_credit_automation(hass, tmp_path, notify_actions=phone_action())
    for _ in range(4 * 24):  # 6 RUB a day: 60 RUB last 10 days
        account.balance = str(Decimal(account.balance) - Decimal("0.25"))
        await advance(hass, freezer, 3600)
    assert hass.states.get(LOW_CREDIT).attributes["low_by"] == "forecast"
    (call,) = phone
    assert re.fullmatch(
        r"The credit of SMSC · demo is \d+\.\d\d RUB; at its recent spending it "
        r"runs out around 20\d\d-\d\d-\d\d \d\d:\d\d, within 7 days\. "
        r"Top it up to keep sending SMS\.",
        call.data["message"],
    ), call.data["message"]
