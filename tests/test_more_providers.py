"""The ten providers of issue 28, as a Home Assistant user meets them.

Credits in the provider's own unit, a per-account server (Infobip), the
refusals each provider words its own way (an IP address, a permission, a
postpaid account, another server), and a limit shared by a whole account
(Brevo). Through the flow and the entities, against the stand-in.
"""

from __future__ import annotations

from decimal import Decimal
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest

from custom_components.sms_credit.const import (
    CONF_ADAPTIVE_POLLING,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_UPDATE_INTERVAL,
    DOMAIN,
)
from custom_components.sms_credit.providers import PROVIDERS
from custom_components.sms_credit.store import entry_file
from tests.conftest import make_entry, setup_entry, stored, threshold_step, tick
from tests.providers.test_providers_beyond import DEMO, LOGIN
from tests.standin import Account, StandinProvider
from tests.test_new_providers import entry_for, pick, submit

CREDITS = sorted(key for key in DEMO if PROVIDERS[key].unit)


def test_the_credits_providers() -> None:
    """SMSAPI's points, BulkSMS's credits and Brevo's SMS credits: never money."""
    assert CREDITS == ["brevo", "bulksms", "smsapi"]


@pytest.mark.parametrize("key", CREDITS)
async def test_credits_are_shown_in_the_providers_unit(
    hass: HomeAssistant, standin: StandinProvider, key: str
) -> None:
    """The threshold is asked in the unit; the credit sensor is not money."""
    spec = PROVIDERS[key]
    result = await submit(hass, key, *DEMO[key], standin.url)
    assert result["step_id"] == "threshold"
    assert result["description_placeholders"]["credit"] == f"100.5 {spec.unit}"
    (marker,) = result["data_schema"].schema
    assert marker.default() == spec.default_threshold
    entry = (await threshold_step(hass, result))["result"]
    await hass.async_block_till_done()
    assert entry.options[CONF_LOW_CREDIT_THRESHOLD] == spec.default_threshold
    coordinator = entry.runtime_data
    assert coordinator.unit == spec.unit
    states = [
        s for s in hass.states.async_all("sensor") if s.entity_id.endswith("_credit")
    ]
    (state,) = states
    assert Decimal(state.state) == Decimal("100.50")
    assert state.attributes["unit_of_measurement"] == spec.unit
    assert "device_class" not in state.attributes  # not monetary
    assert not [s for s in hass.states.async_all() if "currency" in s.entity_id]


async def test_plivo_in_usd(hass: HomeAssistant, standin: StandinProvider) -> None:
    """Plivo's credits are in US dollars, whatever else the answer says."""
    result = await submit(hass, "plivo", *DEMO["plivo"], standin.url)
    assert result["description_placeholders"]["credit"] == "100.50 USD"


async def test_plivo_postpaid_is_refused_on_the_form(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """A postpaid account has no prepaid credit to watch: said on the Auth ID."""
    standin.respond_next(
        200,
        '{"api_id": "1", "auth_id": "MA0", "billing_mode": "postpaid",'
        ' "cash_credits": "0.00000"}',
    )
    result = await submit(hass, "plivo", *DEMO["plivo"], standin.url)
    assert result["errors"] == {"auth_id": "postpaid"}


@pytest.mark.parametrize("key", ["clickatell", "infobip"])
async def test_a_refusal_that_may_be_the_ip_address_says_both(
    hass: HomeAssistant, standin: StandinProvider, key: str
) -> None:
    """Clickatell and Infobip answer an IP off the list as a wrong key.

    The form says both causes, with the console's address; so does reauth,
    at once, when it happens while polling.
    """
    account = standin.accounts[key][LOGIN[key]]
    account.allowed_ips = ["192.0.2.1"]
    result = await submit(hass, key, *DEMO[key], standin.url)
    assert result["errors"] == {"base": "auth_or_ip"}
    account.allowed_ips = None
    entry = entry_for(standin, key)
    await setup_entry(hass, entry)
    account.allowed_ips = ["192.0.2.1"]
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(
        DOMAIN, match_context={"source": SOURCE_REAUTH}
    )
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["errors"] == {"base": "auth_or_ip"}
    assert result["description_placeholders"]["account_url"] == (
        PROVIDERS[key].control_panel(standin.url)
    )
    assert entry.runtime_data.last_exception.translation_key == "auth_or_ip"


@pytest.mark.parametrize("key", ["gatewayapi", "smsapi", "brevo"])
async def test_a_documented_ip_refusal_raises_the_repair(
    hass: HomeAssistant, standin: StandinProvider, key: str
) -> None:
    """GatewayAPI 0x0213, SMSAPI 105, Brevo's unrecognised IP: the repair.

    It links the provider's console page, and goes when the IP is allowed.
    """
    entry = entry_for(standin, key)
    await setup_entry(hass, entry)
    account = standin.accounts[key][LOGIN[key]]
    account.allowed_ips = ["192.0.2.1"]
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    issue = ir.async_get(hass).async_get_issue(
        DOMAIN, f"ip_not_allowed_{entry.entry_id}"
    )
    assert issue is not None
    assert issue.translation_placeholders is not None
    # The console page for the provider's own site (the stand-in: its root).
    spec = PROVIDERS[key]
    assert issue.translation_placeholders["account_url"] == (
        spec.control_panel(standin.url)
    )
    assert spec.control_panel(spec.hosts[0]) == spec.panel_url
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    account.allowed_ips = None
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert (
        ir.async_get(hass).async_get_issue(DOMAIN, f"ip_not_allowed_{entry.entry_id}")
        is None
    )


@pytest.mark.parametrize(
    ("key", "field", "words"),
    [
        ("infobip", "api_key", "account-management:manage"),
        ("smsapi", "oauth_token", ""),
    ],
)
async def test_a_key_without_the_permission_is_told_what_it_needs(
    hass: HomeAssistant, standin: StandinProvider, key: str, field: str, words: str
) -> None:
    """Infobip 403, SMSAPI 110: said on the key, naming the permission."""
    standin.accounts[key][LOGIN[key]].denied = True
    result = await submit(hass, key, *DEMO[key], standin.url)
    assert result["errors"] == {field: "access_denied"}
    permission = result["description_placeholders"]["permission"]
    assert permission == PROVIDERS[key].permission
    assert words in permission


async def test_infobip_asks_for_the_accounts_own_base_url(
    hass: HomeAssistant,
) -> None:
    """The server section is open, its example an Infobip base URL.

    Such an address is Infobip's own: the console, not the address, is linked.
    """
    spec = PROVIDERS["infobip"]
    result = await pick(hass, "Infobip")
    assert result["step_id"] == "credentials"
    advanced = result["data_schema"].schema["advanced"]
    assert advanced.options == {"collapsed": False}
    assert result["description_placeholders"]["example_url"] == spec.own_host
    assert spec.own_site("https://abcd12.api.infobip.com") == spec.hosts[0]
    assert spec.control_panel("https://abcd12.api.infobip.com") == spec.panel_url
    assert spec.own_site("https://api.infobip.com.example.org") is None


async def test_smsapi_offers_its_two_apis(hass: HomeAssistant) -> None:
    """SMSAPI's Polish and international APIs, in its own words."""
    result = await pick(hass, "SMSAPI")
    options = result["data_schema"].schema["host"].config["options"]
    assert [o["value"] for o in options] == ["api_smsapi_pl", "api_smsapi_com"]
    assert list(result["data_schema"].schema) == [
        "host",
        "name",
        "oauth_token",
        "advanced",
    ]


async def brevo_entry(
    hass: HomeAssistant, standin: StandinProvider, name: str, key: str
) -> Any:
    """A Brevo account added through the flow with this API key."""
    standin.accounts["brevo"].setdefault(name, Account("")).api_key = key
    values = {"username": name, "api_key": key}
    result = await submit(hass, "brevo", "api_key", values, standin.url)
    return (await threshold_step(hass, result))["result"]


async def test_brevo_checks_fit_its_hourly_limit_whatever_the_entries(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """Brevo allows 100 requests an hour per account, shared with every tool.

    Two entries (two keys, maybe one account) share one window of 12 an
    hour: a third of it each, a third kept back for set-ups and Check now,
    so the options refuse a shorter interval than 15 minutes.
    """
    one = await brevo_entry(hass, standin, "demo", DEMO["brevo"][1]["api_key"])
    two = await brevo_entry(hass, standin, "other", "other-brevo-key")
    await hass.async_block_till_done()
    assert one.runtime_data.limiter is two.runtime_data.limiter
    for _ in range(20):
        for entry in (one, two):
            await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert len([e for e in standin.log if e.provider == "brevo"]) == 12
    result = await hass.config_entries.options.async_init(one.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**one.options, CONF_UPDATE_INTERVAL: 14}
    )
    assert result["errors"] == {CONF_UPDATE_INTERVAL: "invalid_interval"}
    assert result["description_placeholders"]["min_interval"] == "15"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {**one.options, CONF_UPDATE_INTERVAL: 15}
    )
    assert one.options[CONF_UPDATE_INTERVAL] == 15


async def test_mobizon_on_another_of_its_sites(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """Mobizon's code 13: choose the account's own national site.

    Said above the form when adding; while polling, the entities are
    unavailable with that reason, and no reauth is asked for.
    """
    wrong = '{"code": 13, "data": "api.mobizon.ua", "message": "Wrong domain"}'
    standin.respond_next(200, wrong)
    result = await submit(hass, "mobizon", *DEMO["mobizon"], standin.url)
    assert result["errors"] == {"base": "wrong_site"}
    entry = entry_for(standin, "mobizon")
    await setup_entry(hass, entry)
    standin.respond_next(200, wrong)
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    assert entry.runtime_data.last_exception.translation_key == "wrong_site"
    assert not hass.config_entries.flow.async_progress_by_handler(
        DOMAIN, match_context={"source": SOURCE_REAUTH}
    )


async def test_brevo_entries_share_the_hour_and_stay_available(
    hass: HomeAssistant, standin: StandinProvider, freezer: FrozenDateTimeFactory
) -> None:
    """Three Brevo accounts at the shortest interval: each gets its share.

    A window of 12 an hour, three entries and one share kept back for
    set-ups and Check now: every 20 minutes (the options say so). Their
    set-up included, never more than 12 an hour go out together, and no
    credit goes unavailable for a check the window held back.
    """
    entries = [
        await brevo_entry(hass, standin, name, f"{name}-brevo-key")
        for name in ("one", "two", "three")
    ]
    for entry in entries:
        result = await hass.config_entries.options.async_init(entry.entry_id)
        assert result["description_placeholders"]["min_interval"] == "20"
        options = {**entry.options, CONF_UPDATE_INTERVAL: 20}
        options[CONF_ADAPTIVE_POLLING] = False
        await hass.config_entries.options.async_configure(result["flow_id"], options)
    await hass.async_block_till_done()
    shown = [
        s.entity_id
        for s in hass.states.async_all("sensor")
        if s.entity_id.endswith("_credit")
    ]
    assert len(shown) == 3
    for _ in range(3 * 60):  # three hours, a minute at a time
        await tick(hass, freezer, 60)
        assert all(hass.states.get(c).state != "unavailable" for c in shown)
    times = [e.at for e in standin.log if e.provider == "brevo"]
    assert all(e.outcome == "ok" for e in standin.log)
    assert len(times) >= 6 + 3 * 3 * 3  # set-up, then 3 an hour each
    assert all(sum(t <= u < t + 3600 for u in times) <= 12 for t in times)


@pytest.mark.parametrize("first", [0, 1])
async def test_brevo_window_counts_every_entry_after_a_restart(
    hass: HomeAssistant,
    standin: StandinProvider,
    hass_storage: dict[str, Any],
    first: int,
) -> None:
    """Each Brevo entry stored the shared window as it last saw it.

    The first wrote 6 requests, the other, later, those 6 and 5 more (read
    back a millisecond apart): 11 of 12, whichever entry is set up first.
    One check goes out after the restart, the other waits.
    """
    brevo = entry_for(standin, "brevo")
    other = {**brevo.data, "username": "Other", "api_key": "other-brevo-key"}
    entries = [brevo, make_entry(other, entry_id="other_brevo_entry")]
    login = PROVIDERS["brevo"].login_key(standin.url, "")
    now = time.time()
    window = [now - 3000 + 100 * i for i in range(11)]
    stores = (window[:6], [t + 1e-3 for t in window])
    for entry, history in zip(entries, stores, strict=True):
        file = hass_storage.setdefault(entry_file(entry.entry_id), stored(1, {}))
        file["data"].setdefault("entries", {})[entry.entry_id] = {
            "login": login,
            "history": history,
        }
    order = entries[first:] + entries[:first]
    for entry in order:  # as Home Assistant starts: every entry known
        entry.add_to_hass(hass)
    await hass.config_entries.async_setup(order[0].entry_id)  # sets up both
    await hass.async_block_till_done()
    assert len(standin.log) == 1
    assert len(brevo.runtime_data.limiter.history) == 12
