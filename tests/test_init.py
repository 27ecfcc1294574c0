"""Setting up and unloading a config entry."""

from __future__ import annotations

from pathlib import Path

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_credit.const import DOMAIN

ROOT = Path(__file__).resolve().parent.parent


async def test_integration_under_test_is_this_repository(hass: HomeAssistant) -> None:
    """The loaded sms_credit is ours, not a copy the test plugin ships."""
    integration = await async_get_integration(hass, DOMAIN)
    assert Path(integration.file_path) == ROOT / "custom_components" / DOMAIN
    assert integration.is_built_in is False
    assert integration.has_branding


async def test_setup_and_unload(hass: HomeAssistant) -> None:
    """A config entry loads and unloads."""
    entry = MockConfigEntry(domain=DOMAIN, title="SMSC · acme", data={})
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.LOADED
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert entry.state is ConfigEntryState.NOT_LOADED
