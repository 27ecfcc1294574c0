"""Diagnostics: useful for a bug report, with no secret in them."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from custom_components.sms_credit.const import DOMAIN
from tests.conftest import SECRETS, entry_data, setup_entry
from tests.standin import StandinProvider


@pytest.mark.freeze_time("2026-11-22 12:00:00+00:00")
async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Provider, host, options, balance, last error and the limiter's state."""
    await setup_entry(hass, smsc_entry)
    standin.respond_next(200, '{"error": "blocked", "error_code": 4}')
    await smsc_entry.runtime_data.async_refresh()
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, smsc_entry)
    text = str(diagnostics)
    assert all(secret not in text for secret in SECRETS)
    # The stand-in's port changes from run to run.
    diagnostics["entry"]["data"]["host"] = "<stand-in>"
    diagnostics["provider"]["host"] = "<stand-in>"
    assert diagnostics == snapshot


@pytest.mark.freeze_time("2026-11-22 12:00:00+00:00")
async def test_diagnostics_of_an_entry_that_failed_to_set_up(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
) -> None:
    """Set-up failed and retries: that is when diagnostics matter most."""
    standin.respond_next(503, "<html>down</html>")
    await setup_entry(hass, smsc_entry)
    assert smsc_entry.state is ConfigEntryState.SETUP_RETRY
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, smsc_entry)
    assert all(secret not in str(diagnostics) for secret in SECRETS)
    assert diagnostics["entry"]["state"] == "setup_retry"
    assert diagnostics["entry"]["reason"]
    assert diagnostics["provider"]["key"] == "smsc"
    assert diagnostics["balance"] is None
    assert diagnostics["last_update_success"] is False
    assert diagnostics["limiter"]["requests_in_window"] == 1
    assert diagnostics["limiter"]["waiting_for"] is None


async def test_diagnostics_of_an_entry_set_up_during_a_block(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
) -> None:
    """Blocked, then reloaded: loaded, no balance yet, the block shown."""
    standin.respond_next(200, '{"error": "blocked", "error_code": 4}')
    await setup_entry(hass, smsc_entry)
    await hass.config_entries.async_reload(smsc_entry.entry_id)
    await hass.async_block_till_done()
    assert smsc_entry.state is ConfigEntryState.LOADED
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, smsc_entry)
    assert diagnostics["entry"]["state"] == "loaded"
    assert diagnostics["balance"] is None
    assert diagnostics["last_error"] == "ip_blocked"
    assert diagnostics["limiter"]["waiting_for"] == "ip_blocked"


async def test_diagnostics_of_an_entry_with_an_unknown_provider(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    standin: StandinProvider,
) -> None:
    """An entry a newer release made (a provider unknown here): still a report."""
    entry = MockConfigEntry(
        domain=DOMAIN, title="Someday · demo", data=entry_data(standin, "someday")
    )
    entry.add_to_hass(hass)
    assert await async_setup_component(hass, DOMAIN, {})
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["entry"]["data"]["provider"] == "someday"
    assert diagnostics["entry"]["state"] == "setup_error"
    assert "newer release" in diagnostics["entry"]["reason"]
    assert "limiter" not in diagnostics


@pytest.mark.parametrize("damage", [{"host": None}, {"host": 5}, {"username": None}])
async def test_diagnostics_of_an_entry_with_damaged_data(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    standin: StandinProvider,
    damage: dict[str, object],
) -> None:
    """Damaged entry data: set-up says so, and diagnostics still answer."""
    data = {**entry_data(standin), **damage}
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="SMSC · demo",
        data={key: value for key, value in data.items() if value is not None},
    )
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    assert diagnostics["entry"]["state"] == "setup_error"
    assert "damaged" in diagnostics["entry"]["reason"]
    assert "limiter" not in diagnostics
