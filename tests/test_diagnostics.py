"""Diagnostics: useful for a bug report, with no secret in them."""

from __future__ import annotations

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from tests.conftest import SECRETS, setup_entry
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
