"""The low-credit notification blueprint, as Home Assistant loads and runs it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
import shutil
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.automation.config import AUTOMATION_BLUEPRINT_SCHEMA
from homeassistant.components.blueprint.models import Blueprint
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from tests.conftest import setup_entry
from tests.standin import StandinProvider

BLUEPRINT = (
    Path(__file__).parents[1] / "blueprints/automation/sms_credit/low_credit.yaml"
)
LOW_CREDIT = "binary_sensor.smsc_demo_low_credit"
CREDIT = "sensor.smsc_demo_credit"
MESSAGE = (
    "The credit of SMSC · demo is 5.25 RUB: below its low-credit threshold. "
    "Top it up to keep sending SMS."
)


def test_valid_automation_blueprint() -> None:
    """Home Assistant's own schemas accept it as an automation blueprint."""
    data = load_yaml_dict(str(BLUEPRINT))
    BLUEPRINT_SCHEMA(data)
    blueprint = Blueprint(
        data, expected_domain="automation", schema=AUTOMATION_BLUEPRINT_SCHEMA
    )
    assert set(blueprint.inputs) == {
        "low_credit_sensors",
        "notify_action",
        "notify_entities",
        "title",
        "repeat_hours",
    }
    sensors = blueprint.inputs["low_credit_sensors"]["selector"]["entity"]
    assert sensors["multiple"] is True
    assert sensors["filter"] == [
        {"domain": ["binary_sensor"], "integration": "sms_credit"}
    ]


async def low_credit_automation(
    hass: HomeAssistant, tmp_path: Path, **inputs: Any
) -> None:
    """Set up an automation from the blueprint, as the UI would save it."""
    hass.config.config_dir = str(tmp_path)
    target = tmp_path / "blueprints/automation/sms_credit/low_credit.yaml"
    target.parent.mkdir(parents=True)
    shutil.copy(BLUEPRINT, target)
    config = {
        "id": "sms_credit_low",
        "alias": "SMS credit low",
        "use_blueprint": {
            "path": "sms_credit/low_credit.yaml",
            "input": {"low_credit_sensors": [LOW_CREDIT], **inputs},
        },
    }
    assert await async_setup_component(hass, "automation", {"automation": config})
    await hass.async_block_till_done()
    assert hass.states.get("automation.sms_credit_low").state == "on"


async def advance(
    hass: HomeAssistant,
    freezer: FrozenDateTimeFactory,
    seconds: float,
    until: Callable[[], bool] = lambda: False,
    *,
    fire_all: bool = False,
) -> None:
    """Let simulated time pass, then let Home Assistant work until ``until()``.

    (Not ``async_block_till_done``: it would wait for the automation's run,
    which waits for simulated hours that only the test can make pass.)
    """
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass, fire_all=fire_all)
    for _ in range(2000):  # the stand-in answers over loopback meanwhile
        if until():
            return
        await asyncio.sleep(0)


async def credit_falls(
    hass: HomeAssistant,
    standin: StandinProvider,
    freezer: FrozenDateTimeFactory,
    calls: list[ServiceCall],
) -> None:
    """The balance drops under the threshold (10) at the next update."""
    standin.smsc_accounts["demo"].balance = "5.25"
    sent = len(calls)
    await advance(hass, freezer, 30 * 60 + 1, lambda: len(calls) > sent)
    assert hass.states.get(LOW_CREDIT).state == "on"


async def test_notifies_once_when_credit_falls(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """One notification through the chosen action, with the credit in it."""
    await setup_entry(hass, smsc_entry)
    assert hass.states.get(LOW_CREDIT).state == "off"
    phone: list[ServiceCall] = async_mock_service(hass, "notify", "phone")
    await low_credit_automation(hass, tmp_path, notify_action="notify.phone")
    assert phone == []

    await credit_falls(hass, standin, freezer, phone)

    assert [call.data for call in phone] == [
        {"title": "SMS credit is low", "message": MESSAGE}
    ]
    await advance(hass, freezer, 5 * 3600)  # no reminders asked for
    assert len(phone) == 1


async def test_reminds_while_low_and_stops_when_topped_up(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    tmp_path: Path,
) -> None:
    """Reminders every N hours go to notify entities too, until the credit is up."""
    await setup_entry(hass, smsc_entry)
    persistent: list[ServiceCall] = async_mock_service(
        hass, "persistent_notification", "create"
    )
    sent: list[ServiceCall] = async_mock_service(hass, "notify", "send_message")
    await low_credit_automation(
        hass,
        tmp_path,
        notify_entities=["notify.telegram"],
        title="Top up SMS",
        repeat_hours=2,
    )

    await credit_falls(hass, standin, freezer, sent)
    assert len(persistent) == len(sent) == 1
    assert sent[0].data == {
        "entity_id": ["notify.telegram"],
        "title": "Top up SMS",
        "message": MESSAGE,
    }
    assert persistent[0].data == {"title": "Top up SMS", "message": MESSAGE}

    await advance(hass, freezer, 3600)
    assert len(persistent) == 1
    # The entities' notification is sent last.
    # (fire_all: the automation's wait is on the event loop's own clock.)
    await advance(hass, freezer, 3600 + 1, lambda: len(sent) > 1, fire_all=True)
    assert len(persistent) == len(sent) == 2

    standin.smsc_accounts["demo"].balance = "50.00"
    await advance(
        hass, freezer, 30 * 60 + 1, lambda: hass.states.get(LOW_CREDIT).state == "off"
    )
    assert hass.states.get(LOW_CREDIT).state == "off"
    await advance(hass, freezer, 4 * 3600)
    assert len(persistent) == 2


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
    await advance(hass, freezer, 3 * 3600)
    assert hass.states.get(LOW_CREDIT).state == "off"
    assert persistent == []
