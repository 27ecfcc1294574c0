"""Every value from outside is checked once, where it enters.

Typed into a flow (also through the API, which the frontend's checks do not
guard), or left in an entry's options by an older release or a hand edit:
a clear, translated form error, or the default, never a broken entry.
"""

from __future__ import annotations

import json
from typing import Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers.json import json_bytes
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sms_credit.const import (
    CONF_ADAPTIVE_POLLING,
    CONF_LOW_CREDIT_DAYS,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_UPDATE_INTERVAL,
    DEFAULT_UPDATE_INTERVAL,
)
from custom_components.sms_credit.helpers import valid_base_url
from custom_components.sms_credit.store import async_get_store
from tests.conftest import entry_data, make_entry, setup_entry, threshold_step
from tests.standin import StandinProvider
from tests.test_config_flow import custom, start

LOW_CREDIT = "binary_sensor.smsc_demo_low_credit"
CREDIT = "sensor.smsc_demo_credit"
SURROGATE = "\ud800"
INTERVAL = "update_interval"
DAYS = "low_credit_days"


async def _options(
    hass: HomeAssistant, entry: MockConfigEntry, user_input: dict[str, Any]
) -> dict[str, Any]:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    return await hass.config_entries.options.async_configure(
        result["flow_id"], user_input
    )


@pytest.mark.parametrize(
    ("user_input", "field"),
    [
        ({CONF_UPDATE_INTERVAL: "nan", CONF_LOW_CREDIT_THRESHOLD: 5}, INTERVAL),
        ({CONF_UPDATE_INTERVAL: 1.5, CONF_LOW_CREDIT_THRESHOLD: 5}, INTERVAL),
        (
            {CONF_UPDATE_INTERVAL: 30, CONF_LOW_CREDIT_THRESHOLD: "nan"},
            "low_credit_threshold",
        ),
        (
            {CONF_UPDATE_INTERVAL: 30, CONF_LOW_CREDIT_THRESHOLD: "inf"},
            "low_credit_threshold",
        ),
        (
            {CONF_UPDATE_INTERVAL: 30, CONF_LOW_CREDIT_THRESHOLD: 1e300},
            "low_credit_threshold",
        ),
        ({CONF_LOW_CREDIT_THRESHOLD: 5, CONF_LOW_CREDIT_DAYS: "nan"}, DAYS),
        ({CONF_LOW_CREDIT_THRESHOLD: 5, CONF_LOW_CREDIT_DAYS: 2.5}, DAYS),
        ({CONF_LOW_CREDIT_THRESHOLD: 5, CONF_LOW_CREDIT_DAYS: 366}, DAYS),
    ],
)
async def test_options_refuse_non_finite_and_out_of_range(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    user_input: dict[str, Any],
    field: str,
) -> None:
    """Options "nan", "inf" or absurd numbers through the API: a form error.

    The error is on that field; the options, the entry and its sensors stay
    as they were.
    """
    await setup_entry(hass, smsc_entry)
    before = dict(smsc_entry.options)
    result = await _options(hass, smsc_entry, user_input)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: f"invalid_{field.rpartition('_')[2]}"}
    assert smsc_entry.options == before
    assert smsc_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(LOW_CREDIT).state == "off"


async def test_options_store_plain_numbers(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
) -> None:
    """What is stored is a whole number of minutes and a finite amount."""
    await setup_entry(hass, smsc_entry)
    result = await _options(
        hass, smsc_entry, {CONF_UPDATE_INTERVAL: 15.0, CONF_LOW_CREDIT_THRESHOLD: 250}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert smsc_entry.options == {
        CONF_UPDATE_INTERVAL: 15,
        CONF_ADAPTIVE_POLLING: True,
        CONF_LOW_CREDIT_THRESHOLD: 250.0,
        CONF_LOW_CREDIT_DAYS: 7,
    }
    assert isinstance(smsc_entry.options[CONF_UPDATE_INTERVAL], int)
    json.dumps(dict(smsc_entry.options), allow_nan=False)
    await hass.async_block_till_done()
    assert hass.states.get(LOW_CREDIT).state == "on"


@pytest.mark.parametrize(
    "options",
    [
        {CONF_UPDATE_INTERVAL: None, CONF_LOW_CREDIT_THRESHOLD: None},
        {CONF_UPDATE_INTERVAL: "x", CONF_LOW_CREDIT_THRESHOLD: "x"},
        {CONF_UPDATE_INTERVAL: float("nan"), CONF_LOW_CREDIT_THRESHOLD: float("inf")},
        {CONF_UPDATE_INTERVAL: 0, CONF_LOW_CREDIT_THRESHOLD: -5},
        {CONF_UPDATE_INTERVAL: 10**9, CONF_LOW_CREDIT_THRESHOLD: [1]},
        {CONF_UPDATE_INTERVAL: True, CONF_LOW_CREDIT_THRESHOLD: True},
        {CONF_LOW_CREDIT_DAYS: 1.5, CONF_ADAPTIVE_POLLING: "no"},
        {CONF_LOW_CREDIT_DAYS: -1, CONF_ADAPTIVE_POLLING: None},
        {CONF_LOW_CREDIT_DAYS: 10**6},
    ],
)
async def test_stored_options_that_are_invalid_fall_back_to_defaults(
    hass: HomeAssistant, standin: StandinProvider, options: dict[str, Any]
) -> None:
    """An infinite threshold stored as null, or any odd value: the defaults.

    The entry sets up with them, and the low-credit sensor works.
    """
    entry = make_entry(entry_data(standin))
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options=options)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.update_interval.total_seconds() == (
        DEFAULT_UPDATE_INTERVAL * 60
    )
    assert hass.states.get(LOW_CREDIT).state == "off"  # 100.50 ≥ 10 (default)
    assert hass.states.get(CREDIT).state == "100.50"


@pytest.mark.parametrize(
    ("provider", "method", "typed", "field"),
    [
        ("smsc", "password", {CONF_USERNAME: f"de{SURROGATE}mo"}, CONF_USERNAME),
        ("smsc", "password", {CONF_PASSWORD: f"pw{SURROGATE}"}, CONF_PASSWORD),
        ("smsc", "password", {CONF_USERNAME: "de\x00mo"}, CONF_USERNAME),
        ("smsc", "password", {CONF_USERNAME: "demo\n"}, CONF_USERNAME),
        ("smsc", "api_key", {"name": f"label{SURROGATE}"}, "name"),
        ("smsc", "api_key", {CONF_API_KEY: "demo-smsc-key\n"}, CONF_API_KEY),
        ("agile", "api_key", {CONF_API_KEY: "demo-agile\x00key"}, CONF_API_KEY),
        ("agile", "api_key", {CONF_API_KEY: f"key{SURROGATE}"}, CONF_API_KEY),
        ("agile", "password", {CONF_PASSWORD: f"pw{SURROGATE}"}, CONF_PASSWORD),
        ("agile", "password", {CONF_PASSWORD: "pw\r\nX-Evil: 1"}, CONF_PASSWORD),
    ],
)
async def test_text_that_cannot_be_stored_or_sent_is_a_form_error(
    hass: HomeAssistant,
    standin: StandinProvider,
    hass_storage: dict[str, Any],
    provider: str,
    method: str,
    typed: dict[str, str],
    field: str,
) -> None:
    """A lone surrogate, a NUL or a line break: an error on that field.

    Nothing is sent, and the integration's storage stays writable for every
    account (one such login used to make every later save fail).
    """
    secret = CONF_API_KEY if method == "api_key" else CONF_PASSWORD
    login = "name" if method == "api_key" else CONF_USERNAME
    user_input = {**custom(standin.url), login: "demo", secret: "x", **typed}
    result = await start(hass, provider, method)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {field: "invalid_characters"}
    assert not standin.seen
    # The same form, typed right, goes through; the storage is still writable.
    fixed = {**user_input, login: "demo"}
    fixed[secret] = (
        "demo-password"
        if secret == CONF_PASSWORD
        else ("demo-smsc-key" if provider == "smsc" else "demo-agile-key")
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], fixed)
    result = await threshold_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    # Home Assistant's writer refuses lone surrogates: all of it writes.
    store = await async_get_store(hass)
    json_bytes(store._sites_data())
    for record in store._entries.values():
        json_bytes(store._entry_data(record))
    for stored in hass_storage.values():
        json_bytes(stored)


@pytest.mark.parametrize(
    "host",
    [
        "https://smsc .ru",
        "https://smsc.ru\x00",
        "https://smsc.ru/\nsys",
        "https://smsc\t.ru",
        "https://exa*mple.com",
        "https://" + "я" * 64 + ".рф",
        "https://-smsc.ru",
        "https://smsc-.ru",
        "https://smsc..ru",
        "https://" + "a" * 64 + ".com",
        "https://" + ".".join(["a" * 60] * 5),
        "https://smsc.ru:99999",
        "https://smsc.ru:0",
        "https://<smsc>.ru",
        f"https://smsc{SURROGATE}.ru",
        "https://smsc.ru/a b",
        "https://[::1",
    ],
)
async def test_odd_hosts_are_invalid_host(
    hass: HomeAssistant, standin: StandinProvider, host: str
) -> None:
    """Spaces, control or illegal characters, over-long labels: invalid.

    The error is ``invalid_host`` on the server field, and nothing is sent.
    """
    result = await start(hass, "smsc", "password")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**custom(host), CONF_USERNAME: "demo", CONF_PASSWORD: "demo-password"},
    )
    assert result["errors"] == {"advanced": "invalid_host"}
    assert not standin.seen


@pytest.mark.parametrize(
    "host",
    [
        "https://sms.example.com",
        "https://[2001:db8::1]:8443",
        "https://xn--h1aax.xn--p1ai",
    ],
)
async def test_ordinary_hosts_pass(host: str) -> None:
    """The check refuses only what cannot be a host: these are fine."""
    assert valid_base_url(host)


async def test_reauth_refuses_unstorable_secret(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """Reauth checks the new secret as the first form does."""
    await setup_entry(hass, smsc_entry)
    requests = len(standin.seen)
    result = await smsc_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: f"new{SURROGATE}"}
    )
    assert result["errors"] == {CONF_PASSWORD: "invalid_characters"}
    assert len(standin.seen) == requests


async def test_reconfigure_refuses_unsendable_text(
    hass: HomeAssistant, standin: StandinProvider, agile_entry: MockConfigEntry
) -> None:
    """Reconfigure checks what is typed as the first form does."""
    await setup_entry(hass, agile_entry)
    requests = len(standin.seen)
    result = await agile_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**custom(standin.url), "name": "demo", CONF_API_KEY: "k\x00ey"},
    )
    assert result["errors"] == {CONF_API_KEY: "invalid_characters"}
    assert len(standin.seen) == requests
    assert agile_entry.data[CONF_API_KEY] == "demo-agile-key"


@pytest.mark.parametrize(
    ("balance", "state"),
    [
        ("0." + "1" * 300, "0.111111"),
        ("12345678901." + "9" * 500, "12345678902.000000"),
        ("1e-999999", "0.000000"),
        ("1e999", "unavailable"),
        ("1" * 200, "unavailable"),
    ],
)
async def test_amounts_a_state_cannot_hold(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    balance: str,
    state: str,
) -> None:
    """Hundreds of digits or an absurd exponent: rounded, or refused.

    Rounded to what a state can show, or refused as a provider error; never
    a sensor left "unknown".
    """
    await setup_entry(hass, smsc_entry)
    standin.respond_next(200, json.dumps({"balance": balance, "currency": "RUB"}))
    await smsc_entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    shown = hass.states.get(CREDIT)
    assert shown is not None
    assert shown.state == state
    assert len(shown.state) < 255


@pytest.mark.parametrize(
    "change",
    [
        {CONF_USERNAME: None},
        {"host": 5},
        {"host": "not an address"},
        {"host": "http://[127.0.0.1"},
        {"auth_method": "carrier_pigeon"},
        {"password_md5": "not-an-md5"},
        {"provider": ["smsc"]},
    ],
    ids=[
        "no login",
        "host a number",
        "host no URL",
        "host unparsable",
        "method",
        "md5",
        "provider",
    ],
)
async def test_damaged_entry_data_is_a_clear_setup_error(
    hass: HomeAssistant,
    standin: StandinProvider,
    caplog: pytest.LogCaptureFixture,
    change: dict[str, Any],
) -> None:
    """Entry data damaged in ``core.config_entries``: a clear set-up error.

    It says what to do; nothing is sent, and no crash (a KeyError or a
    TypeError) reaches the log: only Home Assistant's own line for the error.
    """
    data = {**entry_data(standin), **change}
    data = {key: value for key, value in data.items() if value is not None}
    entry = MockConfigEntry(domain="sms_credit", title="SMSC · demo", data=data)
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    assert entry.reason
    assert "delete" in entry.reason.casefold() or "newer release" in entry.reason
    assert not standin.seen
    crashes = [
        record.exc_info
        for record in caplog.records
        if record.exc_info and record.exc_info[0] is not ConfigEntryError
    ]
    assert not crashes
    assert all(
        record.exc_info[1].__context__ is None
        for record in caplog.records
        if record.exc_info
    )


async def test_options_through_the_http_api(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
) -> None:
    """What the frontend cannot send, the REST API can: still a form error."""
    assert await async_setup_component(hass, "config", {})
    await setup_entry(hass, smsc_entry)
    client = await hass_client()
    response = await client.post(
        "/api/config/config_entries/options/flow",
        json={"handler": smsc_entry.entry_id},
    )
    flow_id = (await response.json())["flow_id"]
    for interval, threshold in (("nan", 5), (30, "nan"), (30, "inf"), (2.5, 5)):
        response = await client.post(
            f"/api/config/config_entries/options/flow/{flow_id}",
            json={
                CONF_UPDATE_INTERVAL: interval,
                CONF_LOW_CREDIT_THRESHOLD: threshold,
            },
        )
        assert response.status == 200
        result = await response.json()
        assert result["type"] == "form"
        assert len(result["errors"]) == 1
    assert smsc_entry.options[CONF_LOW_CREDIT_THRESHOLD] == 10.0
    assert hass.states.get(LOW_CREDIT).state == "off"
    assert standin.requests  # set-up asked; the options flow did not


async def test_unsendable_text_through_the_http_api(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    standin: StandinProvider,
    hass_storage: dict[str, Any],
) -> None:
    """A NUL or a lone surrogate sent as JSON escapes: refused, nothing sent.

    Every store stays writable. (Home Assistant's JSON reader may refuse a
    lone surrogate before the flow sees it; a NUL reaches the flow.)
    """
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    response = await client.post(
        "/api/config/config_entries/flow", json={"handler": "sms_credit"}
    )
    flow_id = (await response.json())["flow_id"]
    url = f"/api/config/config_entries/flow/{flow_id}"
    await client.post(url, json={"provider": "smsc"})
    await client.post(url, json={"auth_method": "api_key"})
    for label, key, refused_by_reader in (
        ("label", "key\\u0000", False),
        ("label\\ud800", "demo-smsc-key", True),
    ):
        body = (
            f'{{"advanced": {{"custom_host": "{standin.url}"}}, '
            f'"name": "{label}", "api_key": "{key}"}}'
        )
        response = await client.post(
            url, data=body, headers={"Content-Type": "application/json"}
        )
        if refused_by_reader and response.status == 400:
            continue
        assert response.status == 200
        result = await response.json()
        assert result["type"] == "form"
        assert set(result["errors"].values()) == {"invalid_characters"}
    assert not standin.seen
    for stored in hass_storage.values():
        json_bytes(stored)
