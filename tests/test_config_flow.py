"""The config, reauth, reconfigure and options flows, against the stand-in."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
import sys
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_credit import helpers
from custom_components.sms_credit.config_flow import chosen_host
from custom_components.sms_credit.const import (
    CONF_ADAPTIVE_POLLING,
    CONF_AUTH_METHOD,
    CONF_LOW_CREDIT_DAYS,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_UPDATE_INTERVAL,
    DEFAULT_LOW_CREDIT_DAYS,
    DEFAULT_UPDATE_INTERVAL,
    DOMAIN,
    MIN_UPDATE_INTERVAL,
)
from custom_components.sms_credit.helpers import shortest_interval, valid_base_url
from custom_components.sms_credit.providers import PROVIDERS, REGISTRY, ProviderClient
from custom_components.sms_credit.providers.smsc import smsc_password_hash
from tests.conftest import (
    AGILE_API_KEY,
    DEMO_PASSWORD,
    DEMO_PASSWORD_MD5,
    SMSC_API_KEY,
    at_noon,
    entry_data,
    make_entry,
    setup_entry,
    threshold_step,
)
from tests.standin import AGILE_PATH, SMSC_PATH, StandinProvider


def custom(url: str) -> dict[str, Any]:
    """The form's "Advanced" section with a custom server address."""
    return {"advanced": {"custom_host": url}}


async def start(hass: HomeAssistant, provider: str, method: str) -> dict[str, Any]:
    """Walk to the credentials form of ``provider`` and ``method``."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"provider": provider}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "auth_method"
    options = result["data_schema"].schema[CONF_AUTH_METHOD].config["options"]
    assert options == ["password", "api_key"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_AUTH_METHOD: method}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"  # one form for every login method
    return result


async def test_add_smsc_account_stores_only_the_md5(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """SMSC with login and password: one request, the MD5 stored, never the password."""
    result = await start(hass, "smsc", "password")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**custom(standin.url), CONF_USERNAME: " demo ", CONF_PASSWORD: DEMO_PASSWORD},
    )
    result = await threshold_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "SMSC · demo"
    assert result["data"] == {
        "provider": "smsc",
        CONF_HOST: standin.url,
        "auth_method": "password",
        CONF_USERNAME: "demo",
        "password_md5": DEMO_PASSWORD_MD5,
    }
    entry = result["result"]
    assert entry.unique_id is None  # duplicates are found by their credentials
    assert DEMO_PASSWORD not in str(entry.as_dict())
    # One request tried the credentials, with the MD5 in the body; set-up
    # then asked once more (test before set-up).
    assert standin.requests[SMSC_PATH] == 2
    seen = standin.seen[0]
    assert seen.method == "POST"
    assert seen.form["psw"] == DEMO_PASSWORD_MD5
    assert seen.query == {}
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.smsc_demo_credit").state == "100.50"


async def test_add_agile_account_with_api_key(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """Agile Telecom with an API key: the key is stored, the login only names it."""
    result = await start(hass, "agile", "api_key")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**custom(standin.url), "name": "demo", CONF_API_KEY: AGILE_API_KEY},
    )
    result = await threshold_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Agile Telecom · demo"
    assert result["data"][CONF_API_KEY] == AGILE_API_KEY
    assert standin.seen[0].headers["X-Api-Key"] == AGILE_API_KEY
    assert standin.requests[AGILE_PATH] == 2  # the try, then set-up


async def test_add_smsc_account_with_api_key(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """SMSC with an API key."""
    result = await start(hass, "smsc", "api_key")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**custom(standin.url), "name": "demo", CONF_API_KEY: SMSC_API_KEY},
    )
    result = await threshold_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert standin.seen[0].form["apikey"] == SMSC_API_KEY
    assert "login" not in standin.seen[0].form


async def test_sites_listed_and_custom_server_hidden(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """The provider's sites are a list; a custom server is in a collapsed section."""
    result = await start(hass, "smsc", "password")
    schema = result["data_schema"].schema
    host = schema[CONF_HOST]
    # Options are translated (each site named with its country) by key; the
    # declared label (host and country code) stands in for a missing text.
    assert [option["value"] for option in host.config["options"]] == [
        "smsc_ru",
        "smscentre_com",
        "smsc_kz",
        "smsc_ua",
        "smsc_tj",
    ]
    assert host.config["translation_key"] == "host"
    assert host.config["custom_value"] is False
    assert schema["advanced"].options == {"collapsed": True}


@pytest.mark.parametrize(
    ("user_input", "host"),
    [
        ({CONF_HOST: "smsc_kz", "advanced": {}}, "https://smsc.kz"),
        ({CONF_HOST: "smsc_kz", "advanced": {"custom_host": " "}}, "https://smsc.kz"),
        ({CONF_HOST: "smsc_kz", **custom(" https://r.example ")}, "https://r.example"),
        ({}, "https://smsc.ru"),
    ],
)  # fmt: skip
def test_chosen_host(user_input: dict[str, Any], host: str) -> None:
    """A typed custom address wins over the listed site; blanks do not count."""
    assert chosen_host(PROVIDERS["smsc"], user_input, "https://smsc.ru") == host


SMSC_2 = '{"error": "invalid", "error_code": 2}'
AGILE_100 = '{"status": "error", "message": "ip", "code": 100}'
AGILE_8 = '{"status": "error", "message": "x", "code": 8}'


@pytest.mark.parametrize(
    ("provider", "status", "body", "headers", "error"),
    [
        ("smsc", 200, SMSC_2, {}, "invalid_auth_or_ip"),
        ("smsc", 200, '{"error": "blocked", "error_code": 4}', {}, "ip_blocked"),
        ("smsc", 200, '{"error": "too many", "error_code": 9}', {}, "rate_limited"),
        ("smsc", 200, '{"error": "params", "error_code": 1}', {}, "provider_error"),
        ("smsc", 200, "<html>gateway</html>", {}, "malformed_response"),
        ("smsc", 503, "<html>down</html>", {}, "provider_error"),
        ("agile", 401, "", {}, "invalid_auth"),
        ("agile", 403, AGILE_100, {}, "ip_not_allowed"),
        ("agile", 429, "", {"Retry-After": "120"}, "rate_limited"),
        ("agile", 500, AGILE_8, {}, "provider_error"),
        ("agile", 200, '{"credit": "lots"}', {}, "malformed_response"),
    ],
)  # fmt: skip
async def test_provider_errors_show_on_the_form_and_keep_input(
    hass: HomeAssistant,
    standin: StandinProvider,
    provider: str,
    status: int,
    body: str,
    headers: dict[str, str],
    error: str,
) -> None:
    """Each failure is a translated form error; what was typed stays; retry works."""
    result = await start(hass, provider, "password")
    standin.respond_next(status, body, headers=headers)
    user_input = {
        **custom(standin.url),
        CONF_USERNAME: "demo",
        CONF_PASSWORD: DEMO_PASSWORD,
    }
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    schema = result["data_schema"].schema
    suggested = {
        str(key): key.description["suggested_value"]
        for key in schema
        if key.description and "suggested_value" in key.description
    }
    assert suggested[CONF_USERNAME] == "demo"
    advanced = schema[next(k for k in schema if k == "advanced")].schema.schema
    custom_host = next(iter(advanced))
    assert custom_host.description["suggested_value"] == standin.url
    if error in ("ip_blocked", "rate_limited"):
        # Waiting is what helps: the flow sends nothing while the provider
        # asked to wait.
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input
        )
        assert result["errors"] == {"base": error}
        assert len(standin.seen) == 1
        return
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], user_input
    )
    result = await threshold_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_wrong_password_then_right(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """A real wrong password (not a forced answer) is reported, then fixed."""
    result = await start(hass, "smsc", "password")
    base = {**custom(standin.url), CONF_USERNAME: "demo"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**base, CONF_PASSWORD: "wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth_or_ip"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**base, CONF_PASSWORD: DEMO_PASSWORD}
    )
    result = await threshold_step(hass, result)
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_cannot_connect_and_timeout(
    hass: HomeAssistant, standin: StandinProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing listening, and a provider too slow to answer."""
    result = await start(hass, "agile", "password")
    url = standin.url
    await standin.close()
    base = {CONF_USERNAME: "demo", CONF_PASSWORD: DEMO_PASSWORD}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**base, **custom(url)}
    )
    assert result["errors"] == {"base": "cannot_connect"}

    monkeypatch.setattr(helpers, "REQUEST_TIMEOUT", 0.05)
    slow = StandinProvider()
    slow.delay = 1.0
    await slow.start()
    try:
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**base, **custom(slow.url)}
        )
    finally:
        await slow.close()
    assert result["errors"] == {"base": "timeout"}


async def test_unexpected_error_is_caught(
    hass: HomeAssistant, standin: StandinProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in a client becomes a form error, not a crashed flow."""
    result = await start(hass, "agile", "password")

    async def broken(self: object) -> None:
        raise ZeroDivisionError

    monkeypatch.setattr(ProviderClient, "async_get_balance", broken)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**custom(standin.url), CONF_USERNAME: "demo", CONF_PASSWORD: DEMO_PASSWORD},
    )
    assert result["errors"] == {"base": "unknown"}


@pytest.mark.parametrize(
    ("url", "valid"),
    [
        ("https://smsc.ru", True),
        ("https://reseller.example/api", True),
        ("http://127.0.0.1:8099", True),
        ("http://localhost:8099", True),
        ("http://[::1]:8099", True),
        ("http://standin.localhost:8099", True),  # loopback by RFC 6761
        ("http://localhost.example", False),
        ("http://smsc.ru", False),
        ("http://192.168.1.5", False),
        ("ftp://smsc.ru", False),
        ("https://", False),
        ("https://user:pw@smsc.ru", False),
        ("https://smsc.ru/?a=1", False),
        ("https://smsc.ru:99999", False),
        ("not a url", False),
        ("http://[::1", False),
    ],
)
def test_valid_base_url(url: str, valid: bool) -> None:
    """Custom servers: https, or plain http to this machine only."""
    assert valid_base_url(url) is valid


async def test_invalid_custom_host(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """A plain-http server elsewhere is refused before any request."""
    result = await start(hass, "smsc", "password")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**custom("http://smsc.example"), CONF_USERNAME: "demo", CONF_PASSWORD: "x"},
    )
    # On the section that holds the address, opened to show it.
    assert result["errors"] == {"advanced": "invalid_host"}
    assert result["data_schema"].schema["advanced"].options == {"collapsed": False}
    # The texts still link the provider's own control panel.
    assert result["description_placeholders"]["account_url"] == "https://smsc.ru/login/"
    assert not standin.seen


async def test_same_account_twice_is_refused(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """The same provider, host and login cannot be added twice (any case)."""
    smsc_entry.add_to_hass(hass)
    result = await start(hass, "smsc", "password")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**custom(standin.url), CONF_USERNAME: "DEMO", CONF_PASSWORD: DEMO_PASSWORD},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert not standin.seen


async def test_reauth(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """A changed password: reauth validates the new one with one request."""
    await setup_entry(hass, smsc_entry)
    standin.smsc_accounts["demo"].password = "new-password"
    result = await smsc_entry.start_reauth_flow(hass)
    assert result["step_id"] == "reauth_confirm"
    assert list(result["data_schema"].schema) == [CONF_PASSWORD]
    before = len(standin.seen)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "still-wrong"}
    )
    assert result["errors"] == {"base": "invalid_auth_or_ip"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: "new-password"}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert smsc_entry.data["password_md5"] == smsc_password_hash("new-password")
    assert CONF_PASSWORD not in smsc_entry.data
    assert smsc_entry.state is ConfigEntryState.LOADED
    # Two tries, and the reload checked once more.
    assert len(standin.seen) == before + 3


async def test_reconfigure_keeps_the_secret_when_left_empty(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """Reconfigure to another server of the same account, password untouched."""
    await setup_entry(hass, smsc_entry)
    other = StandinProvider()
    await other.start()
    try:
        result = await smsc_entry.start_reconfigure_flow(hass)
        assert result["step_id"] == "reconfigure"
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**custom(other.url), CONF_USERNAME: "demo"}
        )
        assert result["type"] is FlowResultType.ABORT
        assert result["reason"] == "reconfigure_successful"
        assert smsc_entry.data[CONF_HOST] == other.url
        assert smsc_entry.data["password_md5"] == DEMO_PASSWORD_MD5
        # Another login is another account: a form error on the login.
        result = await smsc_entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**custom(other.url), CONF_USERNAME: "someone"}
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {CONF_USERNAME: "wrong_account"}
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {**custom(other.url), CONF_USERNAME: "demo"}
        )
        assert result["reason"] == "reconfigure_successful"
    finally:
        await other.close()


async def test_reconfigure_onto_another_entrys_account(
    hass: HomeAssistant, standin: StandinProvider, agile_entry: MockConfigEntry
) -> None:
    """Reconfigure cannot make an entry a copy of another one."""
    agile_entry.add_to_hass(hass)
    data = entry_data(standin, "agile", **{CONF_AUTH_METHOD: "api_key"})
    del data["password"]
    data[CONF_API_KEY] = "another-key"
    second = MockConfigEntry(
        domain=DOMAIN, title="Agile Telecom · two", data=data, entry_id="second"
    )
    second.add_to_hass(hass)
    result = await second.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**custom(standin.url), "name": "two", CONF_API_KEY: AGILE_API_KEY},
    )
    assert result["reason"] == "already_configured"
    assert not standin.seen


async def test_reconfigure_new_password(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """Reconfigure with a new password, and with a wrong one first."""
    await setup_entry(hass, smsc_entry)
    standin.smsc_accounts["demo"].password = "changed"
    result = await smsc_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**custom("ftp://nowhere"), CONF_USERNAME: "demo"},
    )
    assert result["errors"] == {"advanced": "invalid_host"}
    assert result["data_schema"].schema["advanced"].options == {"collapsed": False}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**custom(standin.url), CONF_USERNAME: "demo", CONF_PASSWORD: "bad"},
    )
    assert result["errors"] == {"base": "invalid_auth_or_ip"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**custom(standin.url), CONF_USERNAME: "demo", CONF_PASSWORD: "changed"},
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert smsc_entry.data["password_md5"] == smsc_password_hash("changed")


async def test_reconfigure_empty_secret_keeps_stored_one(
    hass: HomeAssistant, standin: StandinProvider, agile_entry: MockConfigEntry
) -> None:
    """An empty API key keeps the stored key."""
    await setup_entry(hass, agile_entry)
    result = await agile_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**custom(standin.url), "name": "demo"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert agile_entry.data[CONF_API_KEY] == AGILE_API_KEY


async def test_options_apply_without_restart_or_request(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """A new threshold turns the low-credit sensor on at once, with no request."""
    await setup_entry(hass, smsc_entry)
    assert hass.states.get("binary_sensor.smsc_demo_low_credit").state == "off"
    result = await hass.config_entries.options.async_init(smsc_entry.entry_id)
    assert result["step_id"] == "init"
    schema = result["data_schema"].schema
    threshold = next(k for k in schema if k == CONF_LOW_CREDIT_THRESHOLD)
    assert schema[threshold].config["unit_of_measurement"] == "RUB"
    requests = len(standin.seen)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_UPDATE_INTERVAL: 15, CONF_LOW_CREDIT_THRESHOLD: 500},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert smsc_entry.options == {
        CONF_UPDATE_INTERVAL: 15,
        CONF_ADAPTIVE_POLLING: True,
        CONF_LOW_CREDIT_THRESHOLD: 500,
        CONF_LOW_CREDIT_DAYS: DEFAULT_LOW_CREDIT_DAYS,
    }
    assert hass.states.get("binary_sensor.smsc_demo_low_credit").state == "on"
    # The next poll: one new interval after the last attempt.
    assert 14 * 60 < smsc_entry.runtime_data.update_interval.total_seconds() <= 15 * 60
    assert len(standin.seen) == requests


async def test_options_bounds_respect_every_provider() -> None:
    """Checks at the shortest interval fit every provider's request limit.

    A window every entry shares (Brevo's 12 an hour) is divided among them,
    with one share kept back for set-ups and Check now.
    """
    for spec in PROVIDERS.values():
        limit = spec.rate_limit
        for entries in (1, 2, 3, 12) if limit.shared else (1,):
            checks = entries * limit.period / (shortest_interval(spec, entries) * 60)
            spare = limit.max_requests / (entries + 1) if limit.shared else 0
            assert checks <= limit.max_requests - spare
        assert shortest_interval(spec) >= MIN_UPDATE_INTERVAL
    brevo = PROVIDERS["brevo"]
    assert [shortest_interval(brevo, n) for n in (1, 2, 3)] == [10, 15, 20]


async def test_provider_with_one_login_method_skips_the_menu(
    hass: HomeAssistant, standin: StandinProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A provider with a single login method goes straight to the form."""
    spec = PROVIDERS["agile"]
    module = sys.modules[REGISTRY["agile"]]
    monkeypatch.setattr(
        module, "SPEC", replace(spec, auth_methods=spec.auth_methods[1:])
    )
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"provider": "agile"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "credentials"
    assert CONF_API_KEY in result["data_schema"].schema


@pytest.mark.parametrize(("provider", "username"), [("smsc", "  "), ("agile", "de:mo")])
async def test_credentials_the_protocol_cannot_carry(
    hass: HomeAssistant, standin: StandinProvider, provider: str, username: str
) -> None:
    """A blank login, or a colon in a Basic-auth login: a form error, no request."""
    result = await start(hass, provider, "password")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**custom(standin.url), CONF_USERNAME: username, CONF_PASSWORD: "pw"},
    )
    assert result["errors"] == {CONF_USERNAME: "invalid_credentials"}
    assert not standin.seen


async def test_reconfigure_form_shows_the_current_server(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """A listed site is preselected; a custom server fills the advanced section."""
    data = entry_data(standin, **{CONF_HOST: "https://smsc.kz"})
    entry = make_entry(data)
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    schema = result["data_schema"].schema
    host = next(key for key in schema if key == CONF_HOST)
    assert host.description["suggested_value"] == "smsc_kz"
    assert schema["advanced"].options == {"collapsed": True}
    username = next(key for key in schema if key == CONF_USERNAME)
    assert username.description["suggested_value"] == "demo"
    assert not any(key == "password_md5" for key in schema)


async def test_options_without_a_balance_yet(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """Options work while the account is not set up (no currency known)."""
    standin.respond_next(503, "down")
    await setup_entry(hass, smsc_entry)
    assert smsc_entry.state is ConfigEntryState.SETUP_RETRY
    result = await hass.config_entries.options.async_init(smsc_entry.entry_id)
    assert result["description_placeholders"] == {
        "currency": "-",
        "min_interval": "1",
        "max_interval": "1440",
        "max_days": "365",
    }
    schema = result["data_schema"].schema
    threshold = next(k for k in schema if k == CONF_LOW_CREDIT_THRESHOLD)
    assert "unit_of_measurement" not in schema[threshold].config


@pytest.mark.parametrize(
    ("provider", "currency", "credit", "default"),
    [("smsc", "KZT", "100.50 KZT", 5000), ("agile", None, "100.50 EUR", 10)],
)
async def test_add_flow_shows_the_credit_and_asks_the_threshold(
    hass: HomeAssistant,
    standin: StandinProvider,
    provider: str,
    currency: str | None,
    credit: str,
    default: float,
) -> None:
    """The threshold is not hidden: the credit just fetched, a default in its unit."""
    if currency:
        standin.smsc_accounts["demo"].currency = currency
    result = await start(hass, provider, "password")
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {**custom(standin.url), CONF_USERNAME: "demo", CONF_PASSWORD: DEMO_PASSWORD},
    )
    assert result["step_id"] == "threshold"
    assert result["description_placeholders"]["credit"] == credit
    schema = result["data_schema"].schema
    (threshold,) = schema
    assert threshold.default() == default
    unit = credit.rsplit(maxsplit=1)[-1]
    assert schema[threshold].config["unit_of_measurement"] == unit
    requests = len(standin.seen)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_LOW_CREDIT_THRESHOLD: "nan"}
    )
    assert result["errors"] == {CONF_LOW_CREDIT_THRESHOLD: "invalid_threshold"}
    result = await threshold_step(hass, result, 250)

    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["options"] == {
        CONF_UPDATE_INTERVAL: DEFAULT_UPDATE_INTERVAL,
        CONF_LOW_CREDIT_THRESHOLD: 250,
    }
    assert len(standin.seen) == requests + 1  # only the new entry's set-up


async def test_reauth_and_reconfigure_end_with_the_integrations_own_text(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """Not Home Assistant's generic "Re-authentication was successful"."""
    await setup_entry(hass, smsc_entry)
    result = await smsc_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_PASSWORD: DEMO_PASSWORD}
    )
    assert result["reason"] == "reauth_successful"
    assert result.get("translation_domain") is None  # ours, in three languages
    await hass.async_block_till_done()
    result = await smsc_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**custom(standin.url), CONF_USERNAME: "demo"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert result.get("translation_domain") is None


async def test_reauth_after_smscs_error_2_says_both_causes_at_once(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """SMSC's answer also means an IP off the allow-list: the form says so first."""
    await setup_entry(hass, smsc_entry)
    standin.smsc_accounts["demo"].password = "changed"
    await smsc_entry.runtime_data.async_refresh()
    await hass.async_block_till_done()
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    result = await hass.config_entries.flow.async_configure(flow["flow_id"])
    assert result["step_id"] == "reauth_confirm"
    assert result["errors"] == {"base": "invalid_auth_or_ip"}
    placeholders = result["description_placeholders"]
    assert placeholders["account_url"] == f"{standin.url}/"
    assert placeholders["max_failed_logins"] == "5"


async def test_reauth_after_a_restart_still_says_both_causes(
    hass: HomeAssistant, standin: StandinProvider, smsc_entry: MockConfigEntry
) -> None:
    """The cause is stored with the rejection: a restart does not lose it."""
    await setup_entry(hass, smsc_entry)
    standin.smsc_accounts["demo"].password = "changed"
    await smsc_entry.runtime_data.async_refresh()
    await hass.config_entries.async_unload(smsc_entry.entry_id)
    await hass.config_entries.async_setup(smsc_entry.entry_id)  # nothing sent
    await hass.async_block_till_done()
    assert smsc_entry.error_reason_translation_key == "auth_failed_before"
    result = await smsc_entry.start_reauth_flow(hass)
    assert result["errors"] == {"base": "invalid_auth_or_ip"}


async def test_agile_reauth_starts_without_an_error(
    hass: HomeAssistant, standin: StandinProvider, agile_entry: MockConfigEntry
) -> None:
    """A plain rejection needs no second explanation."""
    await setup_entry(hass, agile_entry)
    result = await agile_entry.start_reauth_flow(hass)
    assert result["errors"] == {}


@pytest.mark.parametrize("interval", [0, 1441, 2.5, -1])
async def test_options_say_their_ranges_in_their_own_words(
    hass: HomeAssistant, smsc_entry: MockConfigEntry, interval: float
) -> None:
    """Not Home Assistant's generic "Value 0.0 is too small"."""
    await setup_entry(hass, smsc_entry)
    result = await hass.config_entries.options.async_init(smsc_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_UPDATE_INTERVAL: interval, CONF_LOW_CREDIT_THRESHOLD: -5},
    )
    assert result["errors"] == {
        CONF_UPDATE_INTERVAL: "invalid_interval",
        CONF_LOW_CREDIT_THRESHOLD: "invalid_threshold",
    }
    placeholders = result["description_placeholders"]
    assert (placeholders["min_interval"], placeholders["max_interval"]) == ("1", "1440")


async def test_form_says_until_when_the_provider_makes_it_wait(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The form's "try again after" is the provider's wait, in add and reconfigure."""
    at_noon(freezer)
    wait = timedelta(hours=2)
    until = f"{dt_util.as_local(dt_util.utcnow() + wait):%H:%M}"
    standin.respond_next(429, headers={"Retry-After": str(int(wait.total_seconds()))})
    result = await start(hass, "agile", "password")
    answer = {**custom(standin.url), CONF_USERNAME: "demo", CONF_PASSWORD: "pw"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], answer)
    assert result["errors"] == {"base": "rate_limited"}
    assert result["description_placeholders"]["until"] == until

    await setup_entry(hass, smsc_entry)
    standin.respond_next(200, '{"error": "too many", "error_code": 9}')
    result = await smsc_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {**custom(standin.url), CONF_USERNAME: "demo"}
    )
    assert result["errors"] == {"base": "rate_limited"}
    # SMSC's error 9 pauses the login for a minute.
    pause = f"{dt_util.as_local(dt_util.utcnow() + timedelta(minutes=1)):%H:%M}"
    assert result["description_placeholders"]["until"] == pause
