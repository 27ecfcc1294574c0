"""One owner per fact: what the user sees is the provider's current answer.

Each test here is one numbered behaviour of the "one owner per fact" issue:
the credit shown is the provider's answer since the last failure (or the
entities are unavailable), a reload means "check now", and no sequence of
user actions sends a request into a provider's block.
"""

from __future__ import annotations

from dataclasses import replace
import json
import logging
import math
import time
from typing import Any

import aiohttp
from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.repairs import repairs_flow_manager
from homeassistant.config_entries import (
    SOURCE_REAUTH,
    SOURCE_USER,
    ConfigEntryDisabler,
    ConfigEntryState,
)
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_credit.const import (
    CONF_AUTH_METHOD,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_UPDATE_INTERVAL,
    DOMAIN,
)
from custom_components.sms_credit.helpers import entry_title
from custom_components.sms_credit.providers import (
    PROVIDERS,
    ProviderClient,
    ProviderConnectionError,
    ProviderTimeoutError,
    RateLimiter,
    Site,
    ThrottledError,
)
from custom_components.sms_credit.providers.limiter import monotonic
from custom_components.sms_credit.store import DATA_STORE
from tests.conftest import (
    AGILE_API_KEY,
    DEMO_PASSWORD,
    DEMO_PASSWORD_MD5,
    ENTRY_ID,
    entry_data,
    make_entry,
    setup_entry,
    threshold_step,
    tick,
)
from tests.standin import AGILE_PATH, SMSC_PATH, StandinProvider

CREDIT = "sensor.smsc_demo_credit"
LOW_CREDIT = "binary_sensor.smsc_demo_low_credit"
AGILE_CREDIT = "sensor.agile_telecom_demo_credit"
STORAGE = "sms_credit.accounts"


def issue(hass: HomeAssistant, kind: str, entry_id: str = ENTRY_ID) -> Any:
    """The repair issue of ``kind`` for one entry, if any."""
    return ir.async_get(hass).async_get_issue(DOMAIN, f"{kind}_{entry_id}")


async def start_flow(hass: HomeAssistant, provider: str, method: str) -> str:
    """Walk to the credentials form; return the flow ID."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"provider": provider}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"auth_method": method}
    )
    return str(result["flow_id"])


async def set_options(hass: HomeAssistant, entry: Any, **changes: Any) -> None:
    """Change options through the options flow, as the user does."""
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**entry.options, **changes}
    )
    result = await threshold_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()


def demo(standin: StandinProvider) -> Any:
    """The SMSC demo account as the flow stores it."""
    return make_entry(entry_data(standin))


# 1. Reload or options after a failure never revive an old balance.


async def test_1_reload_after_failure_asks_the_provider(
    hass: HomeAssistant, standin: StandinProvider, freezer: FrozenDateTimeFactory
) -> None:
    """Outage, then reload: a real request, never the balance from before."""
    entry = demo(standin)
    await setup_entry(hass, entry)
    standin.respond_next(503, "down")
    await entry.runtime_data.async_refresh()
    assert hass.states.get(CREDIT).state == "unavailable"
    standin.smsc_accounts["demo"].balance = "42.00"
    requests = standin.requests[SMSC_PATH]
    await tick(hass, freezer, 5)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert standin.requests[SMSC_PATH] == requests + 1
    assert hass.states.get(CREDIT).state == "42.00"


async def test_1_options_after_failure_keep_unavailable(
    hass: HomeAssistant, standin: StandinProvider, freezer: FrozenDateTimeFactory
) -> None:
    """Raising the interval after a failed poll revives nothing, sends nothing."""
    entry = demo(standin)
    await setup_entry(hass, entry)
    standin.respond_next(503, "down")
    await tick(hass, freezer, 30 * 60 + 1)
    assert hass.states.get(CREDIT).state == "unavailable"
    requests = standin.requests[SMSC_PATH]
    await set_options(hass, entry, **{CONF_UPDATE_INTERVAL: 1440})
    await set_options(hass, entry, **{CONF_LOW_CREDIT_THRESHOLD: 500})
    assert hass.states.get(CREDIT).state == "unavailable"
    assert hass.states.get(LOW_CREDIT).state == "unavailable"
    assert standin.requests[SMSC_PATH] == requests


# 2. A reload checks: reauth after a password change, repairs cleared.


async def test_2_reload_after_password_change_starts_reauth(
    hass: HomeAssistant, standin: StandinProvider, freezer: FrozenDateTimeFactory
) -> None:
    """The password changed at the provider: a reload finds out."""
    entry = demo(standin)
    await setup_entry(hass, entry)
    standin.smsc_accounts["demo"].password = "changed-elsewhere"
    await tick(hass, freezer, 60)
    assert not await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_2_reload_after_allow_list_fix_clears_the_repair(
    hass: HomeAssistant, standin: StandinProvider, agile_entry: MockConfigEntry
) -> None:
    """The IP is allowed again: a reload clears the repair issue."""
    await setup_entry(hass, agile_entry)
    standin.allowed_ips = ["192.0.2.1"]
    await agile_entry.runtime_data.async_refresh()
    assert issue(hass, "ip_not_allowed") is not None
    standin.allowed_ips = None
    assert await hass.config_entries.async_reload(agile_entry.entry_id)
    await hass.async_block_till_done()
    assert issue(hass, "ip_not_allowed") is None
    assert hass.states.get(AGILE_CREDIT).state == "100.50"


async def test_2_stored_balance_stands_in_only_while_good_and_throttled(
    hass: HomeAssistant, standin: StandinProvider, freezer: FrozenDateTimeFactory
) -> None:
    """Reloads past the limit show the last answer; after a failure they do not."""
    entry = demo(standin)
    await setup_entry(hass, entry)
    for _ in range(12):
        assert await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        assert hass.states.get(CREDIT).state == "100.50"
    assert standin.requests[SMSC_PATH] == 10
    # A minute later: the window is open again, and the provider fails.
    await tick(hass, freezer, 61)
    standin.respond_next(503, "down", count=10)
    for _ in range(12):
        await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()
        assert hass.states.get(CREDIT).state == "unavailable"
    # The last two reloads were held back: set up, unavailable, nothing sent.
    assert entry.state is ConfigEntryState.LOADED
    assert standin.requests[SMSC_PATH] == 20


# 3. A throttled refresh keeps the state it follows.


async def test_3_throttled_refresh_after_failures_stays_failed(
    hass: HomeAssistant,
    standin: StandinProvider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Failures fill the window: the throttled refresh is no "recovery"."""
    entry = demo(standin)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data
    standin.respond_next(503, "down", count=9)
    for _ in range(9):
        await coordinator.async_refresh()
    assert standin.requests[SMSC_PATH] == 10
    caplog.clear()
    await coordinator.async_refresh()
    assert standin.requests[SMSC_PATH] == 10
    assert not coordinator.last_update_success
    assert coordinator.last_exception.retry_after > 0
    assert hass.states.get(CREDIT).state == "unavailable"
    assert not [r for r in caplog.records if "recovered" in r.getMessage()]


async def test_3_throttled_refresh_while_good_stays_good(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """Good stays good: a refresh held back keeps the fresh balance."""
    entry = demo(standin)
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data
    for _ in range(12):
        await coordinator.async_refresh()
    assert standin.requests[SMSC_PATH] == 10
    assert coordinator.last_update_success
    assert hass.states.get(CREDIT).state == "100.50"


# 4. The allow-list repair is fixed only by a real answer.


async def test_4_ip_not_allowed_repair_is_not_fixed_by_a_throttled_check(
    hass: HomeAssistant, standin: StandinProvider, agile_entry: MockConfigEntry
) -> None:
    """The window is full: the repair says so and stays."""
    assert await async_setup_component(hass, "repairs", {})
    await setup_entry(hass, agile_entry)
    standin.allowed_ips = ["192.0.2.1"]
    for _ in range(9):
        await agile_entry.runtime_data.async_refresh()
    assert standin.requests[AGILE_PATH] == 10
    manager = repairs_flow_manager(hass)
    result = await manager.async_init(
        DOMAIN, context={"issue_id": f"ip_not_allowed_{ENTRY_ID}"}
    )
    result = await manager.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "throttled"}
    assert issue(hass, "ip_not_allowed") is not None
    assert standin.requests[AGILE_PATH] == 10


# 5. SMSC blocks an IP address: every account of that site waits.


def smsc_account(standin: StandinProvider, login: str) -> dict[str, Any]:
    """Entry data of one more SMSC account on the stand-in's site."""
    standin.update({"smsc": {login: {"password": DEMO_PASSWORD}}})
    return entry_data(standin, **{CONF_USERNAME: login})


async def test_5_an_ip_block_holds_every_account_of_the_site(
    hass: HomeAssistant, standin: StandinProvider, freezer: FrozenDateTimeFactory
) -> None:
    """Three accounts on one site; one is told of a block: none sends until it ends."""
    assert await async_setup_component(hass, "homeassistant", {})
    entries = [
        make_entry(smsc_account(standin, login), entry_id=f"entry_{login}")
        for login in ("alpha", "beta", "gamma")
    ]
    for entry in entries:
        await setup_entry(hass, entry)
    assert standin.requests[SMSC_PATH] == 3
    standin.block()  # SMSC blocks this IP (another system's failed logins)
    await entries[0].runtime_data.async_refresh()
    assert standin.requests[SMSC_PATH] == 4
    standin.during_block.clear()  # finding out about a block costs one request
    blocked_until = standin.smsc_blocked_until()
    assert blocked_until is not None
    # Polls, manual refreshes, reloads and a new account's flow: nothing sent.
    flow_id = await start_flow(hass, "smsc", "password")
    while time.time() < blocked_until - 120:
        for entry in entries:
            await entry.runtime_data.async_refresh()
        await hass.config_entries.async_reload(entries[1].entry_id)
        await hass.services.async_call(
            "homeassistant",
            "update_entity",
            {"entity_id": "sensor.smsc_gamma_credit"},
            blocking=True,
        )
        result = await hass.config_entries.flow.async_configure(
            flow_id,
            {
                "advanced": {"custom_host": standin.url},
                CONF_USERNAME: "delta",
                CONF_PASSWORD: "pw",
            },
        )
        assert result["errors"] == {"base": "ip_blocked"}
        await tick(hass, freezer, 7 * 60)
    assert standin.during_block["127.0.0.1"] == 0
    assert standin.requests[SMSC_PATH] == 4
    # Every account says why, and all come back by themselves afterwards.
    assert hass.states.get("sensor.smsc_alpha_credit").state == "unavailable"
    for entry in entries:
        assert issue(hass, "ip_blocked", entry.entry_id) is not None
    await tick(hass, freezer, 40 * 60)
    assert standin.during_block["127.0.0.1"] == 0
    for entry in entries:
        assert entry.state is ConfigEntryState.LOADED
        login = entry.data["username"]
        assert hass.states.get(f"sensor.smsc_{login}_credit").state == "100.50"
        assert issue(hass, "ip_blocked", entry.entry_id) is None


async def test_5_no_fifth_failed_login(
    hass: HomeAssistant, standin: StandinProvider, freezer: FrozenDateTimeFactory
) -> None:
    """Four failed logins: the fifth try is not sent; it says until when."""
    flow_id = await start_flow(hass, "smsc", "password")
    wrong = {
        "advanced": {"custom_host": standin.url},
        CONF_USERNAME: "demo",
        CONF_PASSWORD: "nope",
    }
    for _ in range(4):
        result = await hass.config_entries.flow.async_configure(flow_id, wrong)
        assert result["errors"] == {"base": "invalid_auth_or_ip"}
    for password in ("nope", DEMO_PASSWORD):
        result = await hass.config_entries.flow.async_configure(
            flow_id, {**wrong, CONF_PASSWORD: password}
        )
        assert result["errors"] == {"base": "failed_logins"}
        assert result["description_placeholders"]["until"]
    assert len(standin.seen) == 4
    assert standin.smsc_blocked_until() is None
    # Another account of the same site: not sent either.
    entry = demo(standin)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get(CREDIT).state == "unavailable"
    assert len(standin.seen) == 4
    # Once the first failure is 30 minutes old, logging in works again.
    await tick(hass, freezer, 30 * 60 + 5)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {**wrong, CONF_USERNAME: "other", CONF_PASSWORD: DEMO_PASSWORD}
    )
    assert result["errors"] == {"base": "invalid_auth_or_ip"}
    assert standin.smsc_blocked_until() is None


# 6. One check costs at most two requests and 30 seconds.


async def test_6_failover_costs_at_most_two_requests(
    standin: StandinProvider,
) -> None:
    """Main host and every backup down or silent: two attempts, then the error."""
    dead = "http://127.0.0.1:9"  # the discard port: connection refused
    credentials = {"username": "demo", "password_md5": DEMO_PASSWORD_MD5}
    async with aiohttp.ClientSession() as session:

        def client(limiter: RateLimiter, host: str, timeout: float = 10.0) -> Any:
            # A site whose backups are the same host thrice, then the stand-in.
            site = Site(host, backups=(host, host, host, standin.url))
            spec = replace(PROVIDERS["smsc"], sites=(site,))
            return ProviderClient(
                session,
                spec,
                host=host,
                auth_method="password",
                credentials=credentials,
                limiter=limiter,
                timeout=timeout,
            )

        limiter = RateLimiter(PROVIDERS["smsc"].rate_limit)
        with pytest.raises(ProviderConnectionError):
            await client(limiter, dead).async_get_balance()
        assert len(limiter.history) == 2
        # Timeouts: two attempts of one timeout each, then the error.
        standin.delay = 1.0
        limiter = RateLimiter(PROVIDERS["smsc"].rate_limit)
        with pytest.raises(ProviderTimeoutError):
            await client(limiter, standin.url, timeout=0.05).async_get_balance()
        assert len(standin.seen) == 2
        # The window runs out in the middle of a failover: the connection
        # error is reported, not "throttled", and nothing more is sent.
        limiter = RateLimiter(
            PROVIDERS["smsc"].rate_limit, history=[time.time() - 1] * 9
        )
        with pytest.raises(ProviderConnectionError) as caught:
            await client(limiter, dead).async_get_balance()
        assert not isinstance(caught.value, ThrottledError)
        assert len(limiter.history) == 10


# 7. Reconfigure can move an account to another address of its provider.


async def test_7_reconfigure_moves_the_account_to_another_server(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """A reseller's new URL: same entry, same entities, no "another account"."""
    entry = demo(standin)
    await setup_entry(hass, entry)
    assert "http" not in str(entry.unique_id)
    other = StandinProvider()
    await other.start()
    try:
        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {"advanced": {"custom_host": other.url}, CONF_USERNAME: "demo"},
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        await hass.async_block_till_done()
        assert entry.data[CONF_HOST] == other.url
        assert entry.state is ConfigEntryState.LOADED
        assert other.requests[SMSC_PATH] >= 1
        assert hass.states.get(CREDIT).state == "100.50"
    finally:
        await other.close()


async def test_7_existing_unique_ids_lose_their_address(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """Entries made by earlier versions are migrated: no URL in the unique ID."""
    data = entry_data(standin)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=entry_title(data),
        unique_id=f"smsc|{standin.url}|demo",
        data=data,
        entry_id=ENTRY_ID,
    )
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.LOADED
    assert "http" not in str(entry.unique_id)
    assert entry.minor_version == 2


# 8. The same account cannot be added twice.


async def test_8_same_api_key_under_another_label_is_refused(
    hass: HomeAssistant, standin: StandinProvider, agile_entry: MockConfigEntry
) -> None:
    """The API key is the account: another label does not make another one."""
    agile_entry.add_to_hass(hass)
    flow_id = await start_flow(hass, "agile", "api_key")
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            "advanced": {"custom_host": standin.url},
            "name": "another label",
            CONF_API_KEY: AGILE_API_KEY,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert not standin.seen


async def test_8_www_is_the_same_site(hass: HomeAssistant) -> None:
    """https://www.smsc.ru is smsc.ru: the same login there is the same account."""
    data = {
        "provider": "smsc",
        CONF_HOST: "https://smsc.ru",
        CONF_AUTH_METHOD: "password",
        CONF_USERNAME: "demo",
        "password_md5": DEMO_PASSWORD_MD5,
    }
    make_entry(data).add_to_hass(hass)
    flow_id = await start_flow(hass, "smsc", "password")
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            "advanced": {"custom_host": "https://www.smsc.ru/"},
            CONF_USERNAME: "Demo",
            CONF_PASSWORD: DEMO_PASSWORD,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# 9. A credit limit of 0 is a value.


async def test_9_credit_limit_zero_is_shown_and_survives_a_reload(
    hass: HomeAssistant, standin: StandinProvider, freezer: FrozenDateTimeFactory
) -> None:
    """SMSC omits a zero credit: the entity shows 0, also after a reload."""
    standin.smsc_accounts["demo"].credit = "250"
    entry = demo(standin)
    await setup_entry(hass, entry)
    assert hass.states.get("sensor.smsc_demo_credit_limit").state == "250"
    standin.smsc_accounts["demo"].credit = "0"
    await tick(hass, freezer, 30 * 60 + 1)
    assert hass.states.get("sensor.smsc_demo_credit_limit").state == "0"
    await tick(hass, freezer, 61)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    state = hass.states.get("sensor.smsc_demo_credit_limit")
    assert state.state == "0"
    assert state.attributes["unit_of_measurement"] == "RUB"


# 10. Storage holds pending waits and what running entries need, nothing else.


async def test_10_removing_an_unloaded_entry_keeps_the_block(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """Blocked at setup, deleted, added again: nothing is sent during the block."""
    standin.block()
    entry = demo(standin)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert standin.requests[SMSC_PATH] == 1
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    flow_id = await start_flow(hass, "smsc", "password")
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            "advanced": {"custom_host": standin.url},
            CONF_USERNAME: "demo",
            CONF_PASSWORD: DEMO_PASSWORD,
        },
    )
    assert result["errors"] == {"base": "ip_blocked"}
    assert standin.requests[SMSC_PATH] == 1
    # Only the request that found out about the block reached it.
    assert standin.during_block["127.0.0.1"] == 1


async def test_10_typed_logins_are_not_kept(
    hass: HomeAssistant,
    standin: StandinProvider,
    freezer: FrozenDateTimeFactory,
    hass_storage: dict[str, Any],
) -> None:
    """A typo in an abandoned flow leaves storage once its waits are over."""
    flow_id = await start_flow(hass, "smsc", "password")
    await hass.config_entries.flow.async_configure(
        flow_id,
        {
            "advanced": {"custom_host": standin.url},
            CONF_USERNAME: "typo-login",
            CONF_PASSWORD: "nope",
        },
    )
    hass.config_entries.flow.async_abort(flow_id)
    entry = demo(standin)
    await setup_entry(hass, entry)
    await tick(hass, freezer, 31 * 60)
    await entry.runtime_data.async_refresh()
    await tick(hass, freezer, 120)
    assert "typo-login" not in json.dumps(hass_storage.get(STORAGE, {}))


# 11. Repair issues go with their cause; refusals counted in a row.


async def test_11_issues_go_when_the_entry_is_disabled(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """Disabling an entry takes its issues with it; a reload does not.

    (The block is still on after a reload: what the provider said holds.)
    """
    entry = demo(standin)
    await setup_entry(hass, entry)
    standin.block()
    await entry.runtime_data.async_refresh()
    assert issue(hass, "ip_blocked") is not None
    assert issue(hass, "ip_blocked").is_persistent  # a restart keeps it too
    assert await hass.config_entries.async_reload(entry.entry_id)
    assert issue(hass, "ip_blocked") is not None
    await hass.config_entries.async_set_disabled_by(
        entry.entry_id, ConfigEntryDisabler.USER
    )
    assert issue(hass, "ip_blocked") is None


async def test_11_rate_limit_refusals_count_only_in_a_row(
    hass: HomeAssistant,
    standin: StandinProvider,
    agile_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """429, 503, 429, 503, 429 is not "three in a row"; a restart keeps the count."""
    agile_entry = MockConfigEntry(
        domain=DOMAIN,
        title=agile_entry.title,
        data=agile_entry.data,
        options=agile_entry.options,
        entry_id=ENTRY_ID,
        pref_disable_polling=True,  # only the refreshes below
    )
    await setup_entry(hass, agile_entry)
    coordinator = agile_entry.runtime_data
    for status in (429, 503, 429, 503, 429):
        standin.respond_next(status, "", headers={"Retry-After": "1"})
        await tick(hass, freezer, 61)
        await coordinator.async_refresh()
    assert issue(hass, "rate_limited") is None
    standin.respond_next(429, "", headers={"Retry-After": "1"})
    await tick(hass, freezer, 61)
    await coordinator.async_refresh()
    assert issue(hass, "rate_limited") is None  # two in a row
    # A restart: the count is kept.
    await hass.config_entries.async_unload(agile_entry.entry_id)
    await tick(hass, freezer, 5)
    hass.data.pop(DATA_STORE)
    standin.respond_next(429, "", headers={"Retry-After": "1"})
    await tick(hass, freezer, 61)
    await hass.config_entries.async_setup(agile_entry.entry_id)
    await hass.async_block_till_done()
    assert issue(hass, "rate_limited") is not None


# 12. No user-info in a custom server address.


@pytest.mark.parametrize(
    "url",
    ["https://:secret@smsc.example", "https://user:secret@smsc.example", "https://u@h"],
)
async def test_12_user_info_in_the_address_is_a_form_error(
    hass: HomeAssistant, standin: StandinProvider, url: str
) -> None:
    """A password inside the address never reaches the entry."""
    flow_id = await start_flow(hass, "smsc", "password")
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            "advanced": {"custom_host": url},
            CONF_USERNAME: "demo",
            CONF_PASSWORD: DEMO_PASSWORD,
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert "invalid_host" in str(result["errors"])
    assert not standin.seen


# 13. Reconfigure with an empty login is a form error.


async def test_13_reconfigure_with_an_empty_login(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """An empty login says so on the form (no "Unknown error")."""
    entry = demo(standin)
    await setup_entry(hass, entry)
    result = await entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"advanced": {"custom_host": standin.url}, CONF_USERNAME: ""},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_USERNAME: "invalid_credentials"}


# 14. A throttled check at the end of a pause does not spin.


async def test_14_retry_after_is_surely_past_the_wait(
    hass: HomeAssistant,
    standin: StandinProvider,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Near the end of a block the next try is scheduled after it, once."""
    entry = demo(standin)
    await setup_entry(hass, entry)
    standin.block(seconds=1800)
    await entry.runtime_data.async_refresh()
    coordinator = entry.runtime_data
    blocked_until = coordinator.limiter.site.blocked_until
    await tick(hass, freezer, 1800 - 0.4)
    remaining = blocked_until - time.time()
    await coordinator.async_refresh()
    retry_after = coordinator.last_exception.retry_after
    assert retry_after >= math.ceil(remaining) + 1
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    await tick(hass, freezer, 0.5)
    await tick(hass, freezer, 0.5)
    fetches = [r for r in caplog.records if "Finished fetching" in r.getMessage()]
    assert len(fetches) <= 1


# 15. A balance kept while the limiter holds back is checked again when it
# expires, not a whole interval after the refresh that kept it. (Found by
# the soak: a reload burst, then the credit shown past its interval.)


async def test_15_a_kept_balance_is_checked_again_when_it_expires(
    hass: HomeAssistant, standin: StandinProvider, freezer: FrozenDateTimeFactory
) -> None:
    """Ten requests, a refresh held back 50 s later: the next check is on time."""
    entry = demo(standin)  # every 30 minutes
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data
    for _ in range(9):
        await coordinator.async_refresh()
    assert standin.requests[SMSC_PATH] == 10  # the window is full
    await tick(hass, freezer, 50)
    await coordinator.async_refresh()  # held back: the balance is kept
    assert standin.requests[SMSC_PATH] == 10
    assert hass.states.get(CREDIT).state == "100.50"
    standin.smsc_accounts["demo"].balance = "42.00"
    await tick(hass, freezer, 30 * 60 - 50 + 2)  # the balance has just expired
    assert standin.requests[SMSC_PATH] == 11
    assert hass.states.get(CREDIT).state == "42.00"


# 16. A shorter interval applies to the balance already shown. (Found by the
# soak: set up under 30 minutes, changed to 15, an IP block; the balance
# kept for 30.)


async def test_16_a_shorter_interval_applies_to_the_balance_shown(
    hass: HomeAssistant, standin: StandinProvider, freezer: FrozenDateTimeFactory
) -> None:
    """Fetched under 30 minutes, then 15: held back at 16, it is not shown."""
    entry = demo(standin)  # every 30 minutes
    await setup_entry(hass, entry)
    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_UPDATE_INTERVAL: 15}
    )
    await hass.async_block_till_done()
    coordinator = entry.runtime_data
    standin.block()  # SMSC blocks the IP (another system's failed logins)
    coordinator.limiter.site.block(monotonic() + 1800)  # ... and it is known
    await tick(hass, freezer, 16 * 60)
    assert standin.requests[SMSC_PATH] == 1  # nothing sent into the block
    assert hass.states.get(CREDIT).state == "unavailable"
