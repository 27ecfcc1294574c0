"""The stored limits: migrated from version 1, unreadable parts left out."""

from __future__ import annotations

from datetime import timedelta
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_credit.const import CONF_UPDATE_INTERVAL, DOMAIN, STORAGE_KEY
from custom_components.sms_credit.helpers import same_account
from tests.conftest import ENTRY_ID, entry_data, setup_entry, tick
from tests.standin import SMSC_PATH, StandinProvider

CREDIT = "sensor.smsc_demo_credit"


def stored(version: int, data: Any) -> dict[str, Any]:
    """A storage file as Home Assistant writes it."""
    return {"version": version, "minor_version": 1, "key": STORAGE_KEY, "data": data}


async def test_version_1_keeps_its_pending_block(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """An IP block stored by version 1 still holds; its old balance is not shown."""
    now = time.time()
    hass_storage[STORAGE_KEY] = stored(
        1,
        {
            f"smsc|{standin.url}|demo": {
                "history": [now - 10, "garbage"],
                "paused_until": now + 600,
                "pause_reason": "ip_blocked",
                "balance": {"amount": "5", "currency": "RUB", "credit_limit": None},
                "fetched_at": now - 10,
                "auth_failed": False,
            },
            f"smsc|{standin.url}|other": {
                "history": [now - 5],
                "paused_until": now + 30,
                "pause_reason": "rate_limited",
            },
            "unknown|https://x|y": {"history": [now]},
            "agile|https://secure.agiletelecom.com|z": "not a record",
        },
    )
    await setup_entry(hass, smsc_entry)
    assert smsc_entry.state is ConfigEntryState.SETUP_RETRY
    assert not standin.seen
    # Home Assistant's set-up retries (every 80 s at most): none sends
    # before the block ends, the first after it does.
    for _ in range(20):
        await tick(hass, freezer, 60)
    assert smsc_entry.state is ConfigEntryState.LOADED, smsc_entry.reason
    assert standin.requests[SMSC_PATH] == 1
    assert hass.states.get(CREDIT).state == "100.50"
    await tick(hass, freezer, 2)
    assert hass_storage[STORAGE_KEY]["version"] == 2


async def test_unreadable_parts_are_left_out(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Wrong types anywhere: the entry sets up normally and asks the provider."""
    now = time.time()
    hass_storage[STORAGE_KEY] = stored(
        2,
        {
            "sites": {
                "smsc|127.0.0.1": "blocked",
                "nobody|x": {"blocked_until": now + 999},
                "agile|127.0.0.1": {"blocked_until": "soon", "failed_logins": 3},
            },
            "logins": {
                "smsc|127.0.0.1|demo": {"history": "many", "paused_until": None},
                "nobody|x|y": {"history": [now]},
                "agile|127.0.0.1|demo": [],
            },
            "entries": {
                ENTRY_ID: {
                    "answer": {"amount": "1", "currency": "RUB", "fetched_at": "x"},
                    "rejected": "yes",
                    "refusals": "two",
                },
                "other": "nothing",
            },
        },
    )
    await setup_entry(hass, smsc_entry)
    assert smsc_entry.state is ConfigEntryState.LOADED
    assert standin.requests[SMSC_PATH] == 1
    assert smsc_entry.runtime_data.record.refusals == 0


async def test_not_a_mapping_at_all(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Storage that holds no mapping is ignored."""
    hass_storage[STORAGE_KEY] = stored(2, ["not", "a", "mapping"])
    await setup_entry(hass, smsc_entry)
    assert smsc_entry.state is ConfigEntryState.LOADED


async def test_a_new_interval_moves_the_next_poll(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """From 30 to 5 minutes: the next poll is 5 minutes after the last one."""
    await setup_entry(hass, smsc_entry)
    await tick(hass, freezer, 60)
    hass.config_entries.async_update_entry(
        smsc_entry, options={**smsc_entry.options, CONF_UPDATE_INTERVAL: 5}
    )
    await hass.async_block_till_done()
    assert standin.requests[SMSC_PATH] == 1
    await tick(hass, freezer, 4 * 60 - 5)
    assert standin.requests[SMSC_PATH] == 1
    await tick(hass, freezer, 10)
    assert standin.requests[SMSC_PATH] == 2
    await tick(hass, freezer, 5 * 60 + 1)
    assert standin.requests[SMSC_PATH] == 3
    assert smsc_entry.runtime_data.update_interval == timedelta(minutes=5)


async def test_newer_entry_versions_are_refused(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """An entry made by a newer release (version 2) is not set up."""
    entry = MockConfigEntry(
        domain=DOMAIN, title="SMSC · demo", data=entry_data(standin), version=2
    )
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert not standin.seen


def test_same_account_needs_the_same_provider(standin: StandinProvider) -> None:
    """The same login at two providers is two accounts."""
    smsc = entry_data(standin)
    agile = entry_data(standin, "agile")
    assert same_account(smsc, dict(smsc))
    assert not same_account(smsc, agile)
