"""Setting up, unloading and removing a config entry."""

from __future__ import annotations

from pathlib import Path

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_credit.const import DOMAIN
from tests.conftest import setup_entry
from tests.standin import SMSC_PATH, StandinProvider

ROOT = Path(__file__).resolve().parent.parent


async def test_integration_under_test_is_this_repository(hass: HomeAssistant) -> None:
    """The loaded sms_credit is ours, not a copy the test plugin ships."""
    integration = await async_get_integration(hass, DOMAIN)
    assert Path(integration.file_path) == ROOT / "custom_components" / DOMAIN
    assert integration.is_built_in is False
    assert integration.has_branding


async def test_setup_and_unload(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """An entry sets up with one request, and unloads."""
    await setup_entry(hass, smsc_entry)
    assert smsc_entry.state is ConfigEntryState.LOADED
    assert standin.requests[SMSC_PATH] == 1
    assert hass.states.get("sensor.smsc_demo_credit").state == "100.50"
    assert await hass.config_entries.async_unload(smsc_entry.entry_id)
    assert smsc_entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get("sensor.smsc_demo_credit").state == "unavailable"
