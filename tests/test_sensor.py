"""The entities: states, units, registry entries and device."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.sms_credit.const import DOMAIN
from tests.conftest import ENTRY_ID, entry_data, make_entry, setup_entry
from tests.standin import StandinProvider


@pytest.mark.freeze_time("2026-11-22 12:00:00+00:00")
@pytest.mark.parametrize(
    "platform",
    [Platform.SENSOR, Platform.BINARY_SENSOR, Platform.BUTTON, Platform.NUMBER],
)
async def test_entities(
    hass: HomeAssistant,
    standin: StandinProvider,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    platform: Platform,
) -> None:
    """Every entity's state and registry entry, credit limit included."""
    standin.smsc_accounts["demo"].credit = "500"
    standin.smsc_accounts["demo"].currency = "KZT"
    entry = make_entry(entry_data(standin))
    with patch("custom_components.sms_credit.PLATFORMS", [platform]):
        await setup_entry(hass, entry)
    await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)


async def test_monetary_sensors(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """Credit is money in the account's ISO 4217 currency, never 'measurement'."""
    await setup_entry(hass, smsc_entry)
    state = hass.states.get("sensor.smsc_demo_credit")
    assert state.attributes["device_class"] == "monetary"
    assert state.attributes["unit_of_measurement"] == "RUB"  # SMSC says "RUR"
    assert state.attributes["state_class"] == "total"
    assert hass.states.get("sensor.smsc_demo_currency").state == "RUB"
    assert (
        hass.states.get("binary_sensor.smsc_demo_low_credit").attributes["device_class"]
        == "problem"
    )


async def test_device(
    hass: HomeAssistant,
    standin: StandinProvider,
    agile_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """One service device per account, linked to the provider's account page."""
    await setup_entry(hass, agile_entry)
    device = device_registry.async_get_device_by_identifier(
        (DOMAIN, ENTRY_ID), ENTRY_ID
    )
    assert device is not None
    assert device.entry_type is dr.DeviceEntryType.SERVICE
    assert device.manufacturer == "Agile Telecom"
    assert device.name == "Agile Telecom · demo"
    # The control panel of the account's own server (the stand-in here).
    assert device.configuration_url == f"{standin.url}/"
    assert (
        hass.states.get("sensor.agile_telecom_demo_credit").attributes[
            "unit_of_measurement"
        ]
        == "EUR"
    )


@pytest.mark.parametrize(("currency", "digits"), [("JPY", 0), ("EUR", 2), ("KWD", 3)])
async def test_precision_follows_the_currency(
    hass: HomeAssistant, standin: StandinProvider, currency: str, digits: int
) -> None:
    """Money is shown with its currency's minor unit."""
    standin.smsc_accounts["demo"].currency = currency
    await setup_entry(hass, make_entry(entry_data(standin)))
    for entity_id in ("sensor.smsc_demo_credit", "sensor.smsc_demo_credit_limit"):
        entity = er.async_get(hass).async_get(entity_id)
        assert entity is not None
        assert entity.options["sensor"]["suggested_display_precision"] == digits
