"""The coordinator: the provider's limits hold whatever the user does."""

from __future__ import annotations

from datetime import timedelta
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_credit.const import STORAGE_KEY
from custom_components.sms_credit.store import DATA_STORE, entry_file
from tests.conftest import at_noon, setup_entry, stored, tick
from tests.standin import SMSC_PATH, StandinProvider

CREDIT = "sensor.smsc_demo_credit"
LOW_CREDIT = "binary_sensor.smsc_demo_low_credit"


async def test_update_interval_polls(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The balance is fetched again every update interval (30 min here)."""
    await setup_entry(hass, smsc_entry)
    assert standin.requests[SMSC_PATH] == 1
    standin.smsc_accounts["demo"].balance = "7.25"
    await tick(hass, freezer, 29 * 60)
    assert standin.requests[SMSC_PATH] == 1
    await tick(hass, freezer, 61)
    assert standin.requests[SMSC_PATH] == 2
    assert hass.states.get(CREDIT).state == "7.25"
    assert hass.states.get(LOW_CREDIT).state == "on"


async def test_hammering_stays_under_the_limit(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """100 manual refreshes and 10 reloads in a minute: at most 10 requests.

    The stand-in answers error 9 (and the entities would go unavailable)
    if more than 10 requests of one login arrived within 60 s.
    """
    assert await async_setup_component(hass, "homeassistant", {})
    await setup_entry(hass, smsc_entry)
    for step in range(100):
        await hass.services.async_call(
            "homeassistant",
            "update_entity",
            {"entity_id": [CREDIT, LOW_CREDIT]},
            blocking=True,
        )
        if step % 10 == 9:
            assert await hass.config_entries.async_reload(smsc_entry.entry_id)
        await tick(hass, freezer, 0.55)
        assert hass.states.get(CREDIT).state == "100.50", step
        assert hass.states.get(LOW_CREDIT).state == "off", step
    # 55 simulated seconds have passed.
    assert 1 <= standin.requests[SMSC_PATH] <= 10
    assert all(
        "error" not in seen.form and seen.path == SMSC_PATH for seen in standin.seen
    )


async def test_direct_refreshes_are_throttled_not_failed(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Past the debouncer, the limiter holds requests back and keeps the value."""
    await setup_entry(hass, smsc_entry)
    coordinator = smsc_entry.runtime_data
    for _ in range(30):
        await coordinator.async_refresh()
        await tick(hass, freezer, 1)
    assert standin.requests[SMSC_PATH] == 10
    assert coordinator.last_update_success
    assert hass.states.get(CREDIT).state == "100.50"
    # The held-back check goes out as soon as the limits allow (a minute
    # after the first request), not an interval later: nobody asks again.
    standin.smsc_accounts["demo"].balance = "55.00"
    await tick(hass, freezer, 31)
    assert standin.requests[SMSC_PATH] == 11
    assert hass.states.get(CREDIT).state == "55.00"


async def test_limits_survive_a_restart(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, object],
) -> None:
    """The request history is stored: a restart cannot add requests."""
    await setup_entry(hass, smsc_entry)
    coordinator = smsc_entry.runtime_data
    for _ in range(12):
        await coordinator.async_refresh()
    assert standin.requests[SMSC_PATH] == 10
    await hass.config_entries.async_unload(smsc_entry.entry_id)
    await tick(hass, freezer, 2)  # the delayed save runs
    assert entry_file(smsc_entry.entry_id) in hass_storage
    # A "restart": the in-memory state is gone, only storage remains.
    hass.data.pop(DATA_STORE)
    await hass.config_entries.async_setup(smsc_entry.entry_id)
    await hass.async_block_till_done()
    assert smsc_entry.state is ConfigEntryState.LOADED
    await smsc_entry.runtime_data.async_refresh()
    assert standin.requests[SMSC_PATH] == 10
    assert hass.states.get(CREDIT).state == "100.50"


async def test_restart_asks_the_provider(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Every reload or set-up the limiter allows is a real check."""
    await setup_entry(hass, smsc_entry)
    for step in range(5):
        await tick(hass, freezer, 60)
        standin.smsc_accounts["demo"].balance = f"{step}.00"
        assert await hass.config_entries.async_reload(smsc_entry.entry_id)
        assert hass.states.get(CREDIT).state == f"{step}.00"
    assert standin.requests[SMSC_PATH] == 6


async def test_credit_limit_appears_when_reported(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """SMSC leaves a zero credit limit out of its answer: zero, not unknown."""
    await setup_entry(hass, smsc_entry)
    state = hass.states.get("sensor.smsc_demo_credit_limit")
    assert state.state == "0"
    standin.smsc_accounts["demo"].credit = "250"
    await tick(hass, freezer, 30 * 60 + 1)
    state = hass.states.get("sensor.smsc_demo_credit_limit")
    assert state.state == "250"
    assert state.attributes["unit_of_measurement"] == "RUB"


async def test_agile_has_no_credit_limit(
    hass: HomeAssistant, standin: StandinProvider, agile_entry: MockConfigEntry
) -> None:
    """A provider that reports no credit limit gets no credit-limit entity."""
    await setup_entry(hass, agile_entry)
    assert hass.states.get("sensor.agile_telecom_demo_credit_limit") is None


@pytest.mark.parametrize("threshold", [100.5, 100.51])
async def test_low_credit_threshold_edge(
    hass: HomeAssistant, standin: StandinProvider, threshold: float
) -> None:
    """On strictly below the threshold."""
    from tests.conftest import entry_data, make_entry  # noqa: PLC0415

    entry = make_entry(entry_data(standin), low_credit_threshold=threshold)
    await setup_entry(hass, entry)
    expected = "on" if threshold > 100.5 else "off"
    assert hass.states.get(LOW_CREDIT).state == expected


async def test_reauth_stops_requests(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A rejected password starts reauth; nothing more is sent with it."""
    assert await async_setup_component(hass, "homeassistant", {})
    await setup_entry(hass, smsc_entry)
    standin.smsc_accounts["demo"].password = "changed-elsewhere"
    await tick(hass, freezer, 30 * 60 + 1)
    assert standin.requests[SMSC_PATH] == 2
    flows = hass.config_entries.flow.async_progress_by_handler("sms_credit")
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert hass.states.get(CREDIT).state == "unavailable"
    # Manual refreshes, polling and reloads send nothing more.
    for _ in range(3):
        await hass.services.async_call(
            "homeassistant", "update_entity", {"entity_id": CREDIT}, blocking=True
        )
        await tick(hass, freezer, 31 * 60)
    await hass.config_entries.async_reload(smsc_entry.entry_id)
    await hass.async_block_till_done()
    assert standin.requests[SMSC_PATH] == 2
    assert smsc_entry.state is ConfigEntryState.SETUP_ERROR


async def test_throttled_before_any_balance(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Limit used up (stored) and no balance yet: set up, check when it allows.

    Nothing is sent during the wait; the entities are unavailable, and the
    first check goes out as soon as the window allows one, not minutes later
    under Home Assistant's set-up retry back-off.
    """
    at_noon(freezer)
    now = time.time()
    hass_storage[STORAGE_KEY] = stored(
        2,
        {
            "logins": {"smsc|127.0.0.1|demo": {"history": [now - 5] * 10}},
            "entries": {
                smsc_entry.entry_id: {
                    "answer": {"amount": "oops", "currency": "RUB"},
                }
            },
        },
    )
    await setup_entry(hass, smsc_entry)
    assert smsc_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(CREDIT).state == "unavailable"
    assert smsc_entry.runtime_data.last_exception is not None
    until = dt_util.as_local(dt_util.utcnow() + timedelta(seconds=55))
    assert str(smsc_entry.runtime_data.last_exception) == (
        "The provider's request limit for this account is reached; "
        f"the next request is allowed at {until:%H:%M}"
    )
    assert not standin.seen
    await tick(hass, freezer, 54)
    assert not standin.seen
    await tick(hass, freezer, 3)  # the window allows one from 55 s on
    assert standin.requests[SMSC_PATH] == 1
    assert hass.states.get(CREDIT).state == "100.50"


async def test_removing_an_entry_never_set_up(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """Removing an entry that was never loaded works and sends nothing."""
    smsc_entry.add_to_hass(hass)
    await hass.config_entries.async_remove(smsc_entry.entry_id)
    await hass.async_block_till_done()
    assert not standin.seen


async def test_routine_polls_are_stored_lazily_bursts_at_once(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A lone poll joins a later write; a second request in a window is stored fast."""
    await setup_entry(hass, smsc_entry)
    set_up_at = time.time()

    def stored() -> dict[str, Any]:
        # The entry's own file: its record and its login's window.
        file = hass_storage[entry_file(smsc_entry.entry_id)]
        return file["data"]["entries"][smsc_entry.entry_id]

    def fetched_at() -> float:
        return float(stored()["answer"]["fetched_at"])

    await tick(hass, freezer, 61)
    assert fetched_at() == set_up_at
    await tick(hass, freezer, 30 * 60 - 61)  # the routine poll, alone in its window
    polled_at = time.time()
    assert standin.requests[SMSC_PATH] == 2
    await tick(hass, freezer, 2)
    assert fetched_at() == set_up_at  # not rewritten yet
    await tick(hass, freezer, 60)
    assert fetched_at() == polled_at
    # Two requests in one window are stored within a second or two.
    await smsc_entry.runtime_data.async_refresh()
    await smsc_entry.runtime_data.async_refresh()
    assert standin.requests[SMSC_PATH] == 4
    await tick(hass, freezer, 2)
    assert len(stored()["history"]) == 2
