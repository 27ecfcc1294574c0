"""When things go wrong: what the user sees, and that it goes away again."""

from __future__ import annotations

from datetime import timedelta
import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    ConfigEntryDisabler,
    ConfigEntryState,
)
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_credit.const import DOMAIN
from custom_components.sms_credit.coordinator import wait_placeholders
from tests.conftest import ENTRY_ID, at_noon, setup_entry, tick
from tests.standin import AGILE_PATH, SMSC_PATH, StandinProvider

CREDIT = "sensor.smsc_demo_credit"
AGILE_CREDIT = "sensor.agile_telecom_demo_credit"
BLOCKED = '{"error": "IP address is temporarily blocked", "error_code": 4}'


def issue(hass: HomeAssistant, kind: str) -> ir.IssueEntry | None:
    """The repair issue of ``kind`` for the test entry, if any."""
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{kind}_{ENTRY_ID}")


async def test_ip_blocked_waits_it_out_then_clears(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """SMSC error 4: an issue, no request until the block ends, then all clear."""
    at_noon(freezer)
    assert await async_setup_component(hass, "homeassistant", {})
    await setup_entry(hass, smsc_entry)
    standin.respond_next(200, BLOCKED)
    await smsc_entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(CREDIT).state == "unavailable"
    found = issue(hass, "ip_blocked")
    assert found is not None
    assert found.severity is ir.IssueSeverity.ERROR
    assert not found.is_fixable
    placeholders = found.translation_placeholders
    # Until when, in local time (never "in about 30 min", stale at once).
    until = dt_util.as_local(dt_util.utcnow() + timedelta(minutes=30))
    assert placeholders["until"] == f"{until:%H:%M}"
    assert "minutes" not in placeholders
    # The blocking provider's own rule, from its spec.
    assert placeholders["max_failed_logins"] == "5"
    assert placeholders["window_minutes"] == "30"
    assert placeholders["block_minutes"] == "30"
    assert placeholders["title"] == "SMSC · demo"
    # A reseller's server (the stand-in): its own root, for want of a page.
    assert found.learn_more_url == f"{standin.url}/"
    assert found.data == {"entry_id": ENTRY_ID}
    requests = standin.requests[SMSC_PATH]
    # Manual refreshes and scheduled ones during the block send nothing.
    for _ in range(10):
        await hass.services.async_call(
            "homeassistant", "update_entity", {"entity_id": CREDIT}, blocking=True
        )
        await tick(hass, freezer, 170)
        assert hass.states.get(CREDIT).state == "unavailable"
    assert standin.requests[SMSC_PATH] == requests
    # The coordinator retries by itself once the block is over.
    await tick(hass, freezer, 200)
    assert standin.requests[SMSC_PATH] == requests + 1
    assert hass.states.get(CREDIT).state == "100.50"
    assert issue(hass, "ip_blocked") is None


async def test_ip_blocked_survives_a_reload(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A reload during the block neither sends a request nor hides the issue."""
    await setup_entry(hass, smsc_entry)
    standin.block()
    await smsc_entry.runtime_data.async_refresh()
    requests = standin.requests[SMSC_PATH]
    await tick(hass, freezer, 10 * 60)
    await hass.config_entries.async_reload(smsc_entry.entry_id)
    await hass.async_block_till_done()
    # The last attempt failed: no stored balance stands in, nothing is sent.
    # Set up anyway, unavailable, with the issue saying until when.
    assert smsc_entry.state is ConfigEntryState.LOADED
    assert standin.requests[SMSC_PATH] == requests
    assert issue(hass, "ip_blocked") is not None
    assert hass.states.get(CREDIT).state == "unavailable"
    # The check goes out when the block ends, not later.
    wait = smsc_entry.runtime_data.limiter.wait()[0]
    await tick(hass, freezer, wait - 1)
    assert standin.requests[SMSC_PATH] == requests
    await tick(hass, freezer, 3)
    assert standin.requests[SMSC_PATH] == requests + 1
    assert hass.states.get(CREDIT).state == "100.50"
    assert standin.during_block["127.0.0.1"] == 1  # only the first refresh
    assert issue(hass, "ip_blocked") is None


async def test_blocked_at_setup_holds_back_retries(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """Blocked during set-up: set-up fails, and nothing is sent meanwhile."""
    standin.respond_next(200, BLOCKED)
    await setup_entry(hass, smsc_entry)
    assert smsc_entry.state is ConfigEntryState.SETUP_RETRY
    assert issue(hass, "ip_blocked") is not None
    assert standin.requests[SMSC_PATH] == 1
    # A reload during the block sets up without asking: unavailable.
    await hass.config_entries.async_reload(smsc_entry.entry_id)
    await hass.async_block_till_done()
    assert standin.requests[SMSC_PATH] == 1
    assert smsc_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(CREDIT).state == "unavailable"
    assert issue(hass, "ip_blocked") is not None


async def test_ip_not_allowed_repair_flow(
    hass: HomeAssistant,
    standin: StandinProvider,
    agile_entry: MockConfigEntry,
) -> None:
    """Agile 403: a fixable issue; its confirm step checks again at once."""
    assert await async_setup_component(hass, "repairs", {})
    await setup_entry(hass, agile_entry)
    standin.allowed_ips = ["192.0.2.1"]
    await agile_entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(AGILE_CREDIT).state == "unavailable"
    found = issue(hass, "ip_not_allowed")
    assert found is not None
    assert found.is_fixable
    # Agile has no page that explains it: its control panel, on the
    # account's own server (here the stand-in, as a reseller's would be).
    assert found.learn_more_url == f"{standin.url}/"
    assert found.translation_placeholders["account_url"] == f"{standin.url}/"

    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(
        DOMAIN, context={"issue_id": f"ip_not_allowed_{ENTRY_ID}"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "confirm"
    assert result["description_placeholders"]["provider"] == "Agile Telecom"
    requests = standin.requests[AGILE_PATH]
    result = await manager.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "still_not_allowed"}
    assert standin.requests[AGILE_PATH] == requests + 1
    standin.allowed_ips = None
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert issue(hass, "ip_not_allowed") is None
    assert hass.states.get(AGILE_CREDIT).state == "100.50"


async def test_ip_not_allowed_at_setup_fixed_by_reload(
    hass: HomeAssistant, standin: StandinProvider, agile_entry: MockConfigEntry
) -> None:
    """When setup itself was refused, the repair flow sets the entry up again."""
    assert await async_setup_component(hass, "repairs", {})
    standin.allowed_ips = ["192.0.2.1"]
    await setup_entry(hass, agile_entry)
    assert agile_entry.state is ConfigEntryState.SETUP_RETRY
    manager = repairs_flow_manager(hass)
    assert manager is not None
    result = await manager.async_init(
        DOMAIN, context={"issue_id": f"ip_not_allowed_{ENTRY_ID}"}
    )
    standin.respond_next(503, "<html>maintenance</html>")
    result = await manager.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "check_failed"}
    result = await manager.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "still_not_allowed"}
    standin.allowed_ips = None
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert agile_entry.state is ConfigEntryState.LOADED
    assert issue(hass, "ip_not_allowed") is None


async def test_rate_limited_backs_off_and_reports_a_shared_account(
    hass: HomeAssistant,
    standin: StandinProvider,
    agile_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """429s: wait as told; after 3 in a row, an issue names the likely cause."""
    await setup_entry(hass, agile_entry)
    coordinator = agile_entry.runtime_data
    standin.respond_next(429, "", headers={"Retry-After": "300"}, count=3)
    await coordinator.async_refresh()
    assert hass.states.get(AGILE_CREDIT).state == "unavailable"
    assert issue(hass, "rate_limited") is None
    requests = standin.requests[AGILE_PATH]
    await tick(hass, freezer, 299)
    assert standin.requests[AGILE_PATH] == requests  # Retry-After honoured
    await tick(hass, freezer, 2)
    assert standin.requests[AGILE_PATH] == requests + 1
    await tick(hass, freezer, 301)
    assert standin.requests[AGILE_PATH] == requests + 2
    found = issue(hass, "rate_limited")
    assert found is not None
    assert not found.is_fixable
    await tick(hass, freezer, 301)
    assert hass.states.get(AGILE_CREDIT).state == "100.50"
    assert issue(hass, "rate_limited") is None


async def test_smsc_error_9_backs_off_a_minute(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """SMSC error 9 (another client hammering the login): wait one minute."""
    await setup_entry(hass, smsc_entry)
    standin.respond_next(200, '{"error": "too many", "error_code": 9}')
    await smsc_entry.runtime_data.async_refresh()
    assert hass.states.get(CREDIT).state == "unavailable"
    requests = standin.requests[SMSC_PATH]
    await smsc_entry.runtime_data.async_refresh()
    assert standin.requests[SMSC_PATH] == requests
    await tick(hass, freezer, 61)
    assert standin.requests[SMSC_PATH] == requests + 1
    assert hass.states.get(CREDIT).state == "100.50"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (503, "<html>Service Unavailable</html>"),
        (200, '{"balance": "NaN", "currency": "RUR"}'),
        (200, ""),
        (502, '{"balance": "1'),
    ],
)
async def test_outage_unavailable_logged_once_and_recovers(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    status: int,
    body: str,
) -> None:
    """Outages: unavailable (never 0), one log line each way, recovery by itself."""
    await setup_entry(hass, smsc_entry)
    standin.respond_next(status, body, count=3)
    caplog.clear()
    for _ in range(3):
        await tick(hass, freezer, 30 * 60 + 1)
        state = hass.states.get(CREDIT)
        assert state.state == "unavailable"
        assert hass.states.get("binary_sensor.smsc_demo_low_credit").state == (
            "unavailable"
        )
    errors = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("custom_components")
    ]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert "SMSC · demo" in errors[0].getMessage()
    assert errors[0].exc_info is None
    await tick(hass, freezer, 30 * 60 + 1)
    assert hass.states.get(CREDIT).state == "100.50"
    recovered = [r for r in caplog.records if "recovered" in r.getMessage()]
    assert len(recovered) == 1


async def test_timeout_and_connection_errors(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A provider that does not answer, then one that is gone."""
    await setup_entry(hass, smsc_entry)
    coordinator = smsc_entry.runtime_data
    monkeypatch.setattr(coordinator.client, "timeout", 0.05)
    standin.delay = 1.0
    await coordinator.async_refresh()
    assert str(coordinator.last_exception) == "The provider did not answer in time"
    standin.delay = 0
    await standin.close()
    await coordinator.async_refresh()
    assert str(coordinator.last_exception) == "Cannot connect to the provider"
    assert hass.states.get(CREDIT).state == "unavailable"


async def test_setup_outage_retries_without_traceback(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An outage during setup: retry later, and no traceback in the log."""
    standin.respond_next(503, "down")
    await setup_entry(hass, smsc_entry)
    assert smsc_entry.state is ConfigEntryState.SETUP_RETRY
    shown = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert shown
    assert all(r.exc_info is None for r in shown)
    assert all("Traceback" not in r.getMessage() for r in shown)
    assert smsc_entry.reason == "The provider reported an error on its side"


async def test_auth_failure_at_setup_starts_reauth(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """Wrong credentials at setup: reauth, and the SMSC-specific explanation."""
    standin.smsc_accounts["demo"].password = "other"
    await setup_entry(hass, smsc_entry)
    assert smsc_entry.state is ConfigEntryState.SETUP_ERROR
    assert "allowed IP addresses" in (smsc_entry.reason or "")
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert standin.requests[SMSC_PATH] == 1


async def test_agile_auth_failure_message(
    hass: HomeAssistant, standin: StandinProvider, agile_entry: MockConfigEntry
) -> None:
    """Agile 401: a plain wrong-credentials message (no IP guess)."""
    standin.agile_accounts["demo"].api_key = "rotated"
    await setup_entry(hass, agile_entry)
    assert agile_entry.reason == (
        "The provider rejected the credentials; re-enter them, or reconfigure "
        "the entry if they belong to another server (a Region, a national site)"
    )


async def test_removing_the_entry_removes_its_issues(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """Issues belong to their entry and go with it."""
    await setup_entry(hass, smsc_entry)
    standin.respond_next(200, BLOCKED)
    await smsc_entry.runtime_data.async_refresh()
    assert issue(hass, "ip_blocked") is not None
    await hass.config_entries.async_remove(smsc_entry.entry_id)
    await hass.async_block_till_done()
    assert issue(hass, "ip_blocked") is None


async def test_until_names_the_day_when_it_is_not_today(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory
) -> None:
    """A wait that ends tomorrow says its date as well (local time)."""
    local_now = dt_util.now()
    freezer.move_to(local_now.replace(hour=23, minute=50, second=0, microsecond=0))
    assert wait_placeholders(5 * 60) == {"until": "23:55"}
    tomorrow = (dt_util.now() + timedelta(minutes=20)).date().isoformat()
    assert wait_placeholders(20 * 60) == {"until": f"{tomorrow} 00:10"}


async def test_allow_list_repair_stays_through_reloads_the_limiter_holds_back(
    hass: HomeAssistant,
    standin: StandinProvider,
    agile_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Found by the soak: a burst of reloads lost the allow-list repair.

    Agile refuses Home Assistant's IP; the user reloads the entry again and
    again. The reload the limiter holds back (its window is full) sends
    nothing, so nothing says the IP is allowed now: the repair stays. It
    goes when a good answer comes, and when the entry is disabled.
    """
    standin.agile_accounts["demo"].allowed_ips = ["192.0.2.1"]
    await setup_entry(hass, agile_entry)
    assert issue(hass, "ip_not_allowed") is not None
    for _ in range(11):  # the 11th within a minute is held back
        await hass.config_entries.async_reload(agile_entry.entry_id)
        await tick(hass, freezer, 1)
        assert issue(hass, "ip_not_allowed") is not None
    assert standin.requests[AGILE_PATH] == 10
    await hass.config_entries.async_set_disabled_by(
        agile_entry.entry_id, ConfigEntryDisabler.USER
    )
    await hass.async_block_till_done()
    assert issue(hass, "ip_not_allowed") is None  # a disabled account has none
    standin.agile_accounts["demo"].allowed_ips = None
    await hass.config_entries.async_set_disabled_by(agile_entry.entry_id, None)
    await tick(hass, freezer, 61)
    assert hass.states.get(AGILE_CREDIT).state == "100.50"
    assert issue(hass, "ip_not_allowed") is None


async def test_a_rejected_login_ends_the_allow_list_and_rate_repairs(
    hass: HomeAssistant,
    standin: StandinProvider,
    agile_entry: MockConfigEntry,
) -> None:
    """Found by the soak: the allow-list repair stayed after a 401.

    Agile checks the source IP before the credentials: a 401 says the IP is
    allowed now, and it is no rate-limit refusal either. Only the reauth
    flow is left, for what is wrong now.
    """
    await setup_entry(hass, agile_entry)
    coordinator = agile_entry.runtime_data
    standin.respond_next(429, headers={"Retry-After": "1"}, count=3)
    for _ in range(3):
        coordinator.limiter.paused_until = 0  # the waits are not what is tested
        await coordinator.async_refresh()
    assert issue(hass, "rate_limited") is not None
    standin.agile_accounts["demo"].allowed_ips = ["192.0.2.1"]
    coordinator.limiter.paused_until = 0
    await coordinator.async_refresh()
    assert issue(hass, "ip_not_allowed") is not None
    standin.agile_accounts["demo"].allowed_ips = None
    standin.change_secret("agile", "demo", api_key="another-key")
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert issue(hass, "ip_not_allowed") is None
    assert issue(hass, "rate_limited") is None
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_disabling_an_entry_that_retries_its_set_up_ends_its_repair(
    hass: HomeAssistant, standin: StandinProvider, agile_entry: MockConfigEntry
) -> None:
    """Refused at set-up (retrying), then disabled: no repair is left behind."""
    standin.allowed_ips = ["192.0.2.1"]
    await setup_entry(hass, agile_entry)
    assert agile_entry.state is ConfigEntryState.SETUP_RETRY
    assert issue(hass, "ip_not_allowed") is not None
    await hass.config_entries.async_set_disabled_by(
        agile_entry.entry_id, ConfigEntryDisabler.USER
    )
    assert issue(hass, "ip_not_allowed") is None
