"""The six providers beyond SMSC and Agile, as a Home Assistant user meets them.

Added through the flow against the stand-in (the README's demo accounts),
their errors on the right field, and what the entities show.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import probatio as vol
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_credit.const import CONF_AUTH_METHOD, DOMAIN
from custom_components.sms_credit.diagnostics import async_get_config_entry_diagnostics
from custom_components.sms_credit.providers import PROVIDERS, REGISTRY
from tests.conftest import make_entry, setup_entry, threshold_step, tick
from tests.providers.helpers import reachable_texts
from tests.providers.test_providers_beyond import DEMO, LOGIN, TWILIO_SID
from tests.standin import StandinProvider

TWILIO_KEY = {
    "account_sid": TWILIO_SID,
    "api_key_sid": "SK0123456789abcdef0123456789abcdef",
    "api_key_secret": "demo-key-secret",
}


async def pick(hass: HomeAssistant, typed: str) -> Any:
    """Open the add flow and pick a provider by what is typed in its list."""
    flow = hass.config_entries.flow
    result = await flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    return await flow.async_configure(result["flow_id"], {"provider": typed})


def form(key: str, method: str, values: dict[str, str], url: str) -> dict[str, Any]:
    """The credentials form filled in: each stored value under its form key."""
    fields = PROVIDERS[key].auth_method(method).fields
    typed = {f.form_key: values[f.key] for f in fields}
    return {**typed, "advanced": {"custom_host": url}}


async def submit(
    hass: HomeAssistant, key: str, method: str, values: dict[str, str], url: str
) -> Any:
    """Pick ``key`` and (where asked) ``method``, then submit its credentials."""
    flow = hass.config_entries.flow
    result = await pick(hass, PROVIDERS[key].name)
    if result["step_id"] == "auth_method":
        result = await flow.async_configure(
            result["flow_id"], {CONF_AUTH_METHOD: method}
        )
    return await flow.async_configure(result["flow_id"], form(key, method, values, url))


async def test_the_provider_list_is_searchable(hass: HomeAssistant) -> None:
    """Every provider by name, sorted in the user's language, typed text allowed."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    config = result["data_schema"].schema["provider"].config
    assert config["custom_value"] is True  # the searchable picker
    assert config["sort"] is True
    assert config["mode"] == "dropdown"
    names = [PROVIDERS[key].name for key in REGISTRY]
    assert config["options"] == [
        {"value": name, "label": name} for name in sorted(names, key=str.casefold)
    ]
    (marker,) = result["data_schema"].schema
    assert marker.default is vol.UNDEFINED  # nothing picked for the user


@pytest.mark.parametrize(
    ("typed", "step"),
    [
        ("twilio", "auth_method"),
        ("  TWILIO ", "auth_method"),
        ("Vonage", "credentials"),  # its short name
        ("Vonage (Nexmo)", "credentials"),
        ("seven.io (sms77)", "credentials"),
    ],
)
async def test_a_provider_typed_in_full(
    hass: HomeAssistant, typed: str, step: str
) -> None:
    """A provider's name typed in full (any case) is that provider."""
    result = await pick(hass, typed)
    assert result["step_id"] == step


@pytest.mark.parametrize("typed", ["twil", "", "Sinch", "smsc.ru", None])
async def test_anything_else_typed_is_refused(
    hass: HomeAssistant, typed: str | None
) -> None:
    """A part of a name, or no provider at all: a clear error, the list again."""
    if typed is None:  # nothing picked at all
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    else:
        result = await pick(hass, typed)
    assert result["step_id"] == "user"
    assert result["errors"] == {"provider": "unknown_provider"}


async def test_add_twilio_with_its_auth_token(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """Twilio in the words of its console, its Regions as servers, USD shown."""
    result = await pick(hass, "Twilio")
    options = result["data_schema"].schema[CONF_AUTH_METHOD].config["options"]
    assert options == ["auth_token", "api_key"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_AUTH_METHOD: "auth_token"}
    )
    schema = result["data_schema"].schema
    assert list(schema) == ["host", "account_sid", "auth_token", "advanced"]
    regions = [o["value"] for o in schema["host"].config["options"]]
    assert regions == [
        "api_twilio_com",
        "api_dublin_ie1_twilio_com",
        "api_sydney_au1_twilio_com",
        "api_tokyo_jp1_twilio_com",
    ]
    assert result["description_placeholders"]["account_url"] == (
        "https://console.twilio.com/"
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form("twilio", *DEMO["twilio"], standin.url)
    )
    assert result["step_id"] == "threshold"
    assert result["description_placeholders"]["credit"] == "100.50 USD"
    result = await threshold_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == f"Twilio · {TWILIO_SID}"
    await hass.async_block_till_done()
    state = hass.states.get(f"sensor.twilio_{TWILIO_SID.lower()}_credit")
    assert state is not None
    assert (state.state, state.attributes["unit_of_measurement"]) == ("100.50", "USD")
    assert state.attributes["device_class"] == "monetary"


async def test_twilio_sub_account_is_said_of_the_account_sid(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """A sub-account has no balance: the error sits on the Account SID."""
    standin.accounts["twilio"][TWILIO_SID].sub_account = True
    result = await submit(hass, "twilio", *DEMO["twilio"], standin.url)
    assert result["errors"] == {"account_sid": "no_balance"}


async def test_twilio_key_that_may_not_read_the_balance(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """A Restricted key (code 70051): said on the key, naming what works."""
    standin.accounts["twilio"][TWILIO_SID].denied = True
    result = await submit(hass, "twilio", "api_key", TWILIO_KEY, standin.url)
    assert result["errors"] == {"api_key_sid": "access_denied"}
    assert result["description_placeholders"]["permission"] == (
        PROVIDERS["twilio"].permission
    )
    standin.accounts["twilio"][TWILIO_SID].denied = False
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], form("twilio", "api_key", TWILIO_KEY, standin.url)
    )
    assert result["step_id"] == "threshold"


@pytest.mark.parametrize("key", list(DEMO))
async def test_each_demo_account_can_be_added(
    hass: HomeAssistant, standin: StandinProvider, key: str
) -> None:
    """Every new provider is added with the README's demo credentials."""
    result = await submit(hass, key, *DEMO[key], standin.url)
    result = await threshold_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"]["provider"] == key
    await hass.async_block_till_done()
    assert result["result"].state is ConfigEntryState.LOADED
    assert [e.outcome for e in standin.log] == ["ok", "ok"]  # the try, set-up


def entry_for(standin: StandinProvider, key: str) -> MockConfigEntry:
    """A config entry of the demo account of ``key`` at the stand-in."""
    method, values = DEMO[key]
    data = {"provider": key, "host": standin.url, CONF_AUTH_METHOD: method, **values}
    return make_entry(data)


async def test_telnyx_credit_limit(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """Telnyx's credit limit feeds the credit-limit sensor, in the same currency."""
    await setup_entry(hass, entry_for(standin, "telnyx"))
    state = hass.states.get("sensor.telnyx_my_telnyx_credit_limit")
    assert state is not None
    assert (state.state, state.attributes["unit_of_measurement"]) == ("100.00", "USD")


async def test_46elks_scaled_balance(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """46elks' integer in 1/10 000 is shown as the money it stands for."""
    standin.accounts["elks46"]["demo"].balance = "967.05"
    await setup_entry(hass, entry_for(standin, "elks46"))
    state = hass.states.get("sensor.46elks_demo_credit")
    assert state is not None
    assert (state.state, state.attributes["unit_of_measurement"]) == ("967.05", "SEK")


async def test_a_key_losing_its_permission_asks_for_another(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """Telnyx 10010 while polling: reauth, whose form says why at once."""
    entry = entry_for(standin, "telnyx")
    await setup_entry(hass, entry)
    standin.accounts["telnyx"][LOGIN["telnyx"]].denied = True
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    result = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["errors"] == {"base": "access_denied"}
    assert result["description_placeholders"]["permission"] == (
        PROVIDERS["telnyx"].permission
    )
    assert entry.runtime_data.last_exception.translation_key == "access_denied"
    # Allowed again at Telnyx: the same key, typed again, works.
    standin.accounts["telnyx"][LOGIN["telnyx"]].denied = False
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": DEMO["telnyx"][1]["api_key"]}
    )
    assert result["reason"] == "reauth_successful"


async def test_reauth_puts_an_error_on_a_hidden_field_above_the_form(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """Reauth asks for secrets only: the Account SID's error is said above them."""
    entry = entry_for(standin, "twilio")
    await setup_entry(hass, entry)
    result = await entry.start_reauth_flow(hass)
    assert list(result["data_schema"].schema) == ["auth_token"]
    standin.accounts["twilio"][TWILIO_SID].sub_account = True
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"auth_token": "demo-auth-token"}
    )
    assert result["errors"] == {"base": "no_balance"}


async def test_a_sub_account_while_polling_is_unavailable_not_reauth(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """No balance is never shown as 0: unavailable, said in its own words."""
    entry = entry_for(standin, "twilio")
    await setup_entry(hass, entry)
    standin.accounts["twilio"][TWILIO_SID].sub_account = True
    await entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(f"sensor.twilio_{TWILIO_SID.lower()}_credit")
    assert state is not None
    assert state.state == "unavailable"
    assert entry.runtime_data.last_exception.translation_key == "no_balance"
    assert not hass.config_entries.flow.async_progress_by_handler(DOMAIN)


@pytest.mark.parametrize("key", list(DEMO))
async def test_no_secret_of_any_provider_shows(
    hass: HomeAssistant,
    standin: StandinProvider,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    freezer: FrozenDateTimeFactory,
    key: str,
) -> None:
    """Logs, diagnostics, titles, errors, issues, states and our storage: no secret.

    Through the add flow, then a 503, a 429 and a key without the
    permission, at debug level (rejected logins: test_providers_secrets).
    """
    caplog.set_level(logging.DEBUG)
    method, values = DEMO[key]
    spec = PROVIDERS[key]
    secrets = [values[f.key] for f in spec.auth_method(method).fields if f.secret]
    result = await submit(hass, key, method, values, standin.url)
    entry = (await threshold_step(hass, result))["result"]
    await hass.async_block_till_done()
    coordinator = entry.runtime_data
    texts = [entry.title, str(entry.unique_id)]
    login = LOGIN[key]
    for failure in ("503", "429", "denied"):
        if failure == "denied":  # an AuthenticationError: nothing more is sent
            standin.accounts[key][login].denied = True
        else:
            standin.respond_next(int(failure), '{"message": "no"}')
        await tick(hass, freezer, 61)  # past any wait the last answer asked
        await coordinator.async_refresh()
        await hass.async_block_till_done()
        texts.extend(reachable_texts(coordinator.last_exception))
        texts.append(repr(await async_get_config_entry_diagnostics(hass, entry)))
    texts.extend(repr(i.to_json()) for i in ir.async_get(hass).issues.values())
    texts.extend(repr(state.as_dict()) for state in hass.states.async_all())
    texts.extend(repr(e.as_partial_dict) for e in er.async_get(hass).entities.values())
    texts.extend(
        json.dumps(data) for name, data in hass_storage.items() if DOMAIN in name
    )
    texts.append(caplog.text)
    assert coordinator.record.rejected == "access_denied"
    for text in texts:
        for secret in secrets:
            assert secret not in text, (key, text[:200])


@pytest.mark.parametrize("sid", ["AC1/../../Accounts", "AC1?x=1", "AC 1", "ÄC1"])
async def test_an_account_sid_that_could_leave_the_path(
    hass: HomeAssistant, standin: StandinProvider, sid: str
) -> None:
    """Refused on the Account SID field, and nothing is sent."""
    values = {**DEMO["twilio"][1], "account_sid": sid}
    result = await submit(hass, "twilio", "auth_token", values, standin.url)
    assert result["errors"] == {"account_sid": "invalid_credentials"}
    assert standin.log == []
