"""The recipe: a provider declared here, in a test, and nowhere else.

"Example SMS" sends its API key in an ``X-Example-Key`` header and answers
``GET /v1/balance`` with ``{"balance": "12.34", "currency": "EUR"}``. Its
declaration and its two pure functions below are all a new provider needs:
registered for the test alone, it goes through the add flow, its entities,
a 401 that asks for reauthentication, a 429 with ``Retry-After`` and the
diagnostics, without a line changed anywhere else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
import json
import sys
from typing import Any

from aiohttp import web
from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, SOURCE_USER, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_credit.const import (
    CONF_ADAPTIVE_POLLING,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_UPDATE_INTERVAL,
    DEFAULT_LOW_CREDIT_THRESHOLD,
    DEFAULT_UPDATE_INTERVAL,
    DOMAIN,
)
from custom_components.sms_credit.diagnostics import async_get_config_entry_diagnostics
from custom_components.sms_credit.providers import (
    API_KEY_LOGIN,
    REGISTRY,
    AuthenticationError,
    Balance,
    ProviderServerError,
    ProviderSpec,
    RateLimitedError,
    Request,
    Response,
    Site,
    parse_retry_after,
)
from custom_components.sms_credit.providers._parse import (
    header,
    json_object,
    parse_amount,
    parse_currency,
)
from tests.conftest import setup_entry, threshold_step, tick

API_KEY = "example-key-1"
NEW_API_KEY = "example-key-2"
INTERVAL = DEFAULT_UPDATE_INTERVAL * 60  # seconds


# --- The provider: a declaration and two pure functions ---------------------


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:
    """The API key in a header; the name only names the account (not sent)."""
    del auth_method  # one method only
    if not creds["api_key"].strip():
        msg = "no API key"
        raise ValueError(msg)
    headers = {"Accept": "application/json", "X-Example-Key": creds["api_key"]}
    return Request("GET", f"{base_url}/v1/balance", headers)


def read_answer(response: Response) -> Balance:
    """The balance and its currency, or the error the HTTP status stands for."""
    if response.status == 401:
        raise AuthenticationError("invalid API key (HTTP 401)")
    if response.status == 429:
        wait = parse_retry_after(header(response.headers, "Retry-After"))
        raise RateLimitedError("rate limited (HTTP 429)", retry_after=wait)
    if not 200 <= response.status < 300:
        raise ProviderServerError(f"provider error (HTTP {response.status})")
    data = json_object(response.body)
    return Balance(
        parse_amount(data.get("balance"), "balance"),
        parse_currency(data.get("currency")),
    )


SPEC = ProviderSpec(
    key="example",
    name="Example SMS",
    sites=(Site("https://api.example.com"),),
    auth_methods=(API_KEY_LOGIN,),
    panel_url="https://example.com/account",
    build_request=build_request,
    read_answer=read_answer,
)


# --- Its server, on loopback ------------------------------------------------


@dataclass
class ExampleServer:
    """Answers like Example SMS: the balance for the valid key, else 401.

    ``queue`` holds forced answers (status, body, headers) for the next
    requests; ``seen`` the headers of every request.
    """

    api_key: str = API_KEY
    balance: str = "12.34"
    queue: list[tuple[int, str, dict[str, str]]] = field(default_factory=list)
    seen: list[dict[str, str]] = field(default_factory=list)
    url: str = ""

    async def handle(self, request: web.Request) -> web.Response:
        """Answer one balance request."""
        self.seen.append(dict(request.headers))
        if self.queue:
            status, body, headers = self.queue.pop(0)
            return web.Response(status=status, text=body, headers=headers)
        if request.headers.get("X-Example-Key") != self.api_key:
            return web.json_response({"error": "invalid key"}, status=401)
        return web.json_response({"balance": self.balance, "currency": "EUR"})


@pytest.fixture(autouse=True)
def example_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register this module's ``SPEC`` for the test alone."""
    monkeypatch.setitem(REGISTRY, "example", __name__)


@pytest.fixture
async def server() -> AsyncIterator[ExampleServer]:
    """The Example SMS server on 127.0.0.1, a free port."""
    example = ExampleServer()
    app = web.Application()
    app.router.add_get("/v1/balance", example.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    example.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield example
    await runner.cleanup()


# --- The user's side --------------------------------------------------------


async def add_account(hass: HomeAssistant, server: ExampleServer) -> Any:
    """Add the account "demo" through the config flow; return the last result."""
    flow = hass.config_entries.flow
    result: Any = await flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    options = result["data_schema"].schema["provider"].config["options"]
    assert {"value": "Example SMS", "label": "Example SMS"} in options
    result = await flow.async_configure(result["flow_id"], {"provider": "example"})
    # One login method: no step to pick it.
    assert result["step_id"] == "credentials"
    assert list(result["data_schema"].schema) == ["host", "name", "api_key", "advanced"]
    sites = result["data_schema"].schema["host"].config["options"]
    assert sites == [{"value": "api_example_com", "label": "api.example.com"}]
    result = await flow.async_configure(
        result["flow_id"],
        {
            "name": "demo",
            "api_key": API_KEY,
            "advanced": {"custom_host": server.url},
        },
    )
    # One request tried the key; the next step shows what it found.
    assert len(server.seen) == 1
    assert server.seen[0]["X-Example-Key"] == API_KEY
    assert result["step_id"] == "threshold"
    assert result["description_placeholders"]["credit"] == "12.34 EUR"
    result = await threshold_step(hass, result)
    await hass.async_block_till_done()
    return result


def entity_id(hass: HomeAssistant, domain: str, entry_id: str, key: str) -> str:
    """The entity ID of one of the account's entities."""
    found = er.async_get(hass).async_get_entity_id(domain, DOMAIN, f"{entry_id}_{key}")
    assert found is not None
    return found


def credit(hass: HomeAssistant, entry: MockConfigEntry) -> str:
    """The state of the account's credit sensor."""
    state = hass.states.get(entity_id(hass, "sensor", entry.entry_id, "credit"))
    assert state is not None
    return state.state


async def test_add_flow_and_entities(
    hass: HomeAssistant, server: ExampleServer
) -> None:
    """Added in three steps; the credit in euros and the low-credit sensor show."""
    result = await add_account(hass, server)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Example SMS · demo"
    assert result["data"] == {
        "provider": "example",
        "host": server.url,
        "auth_method": "api_key",
        "username": "demo",
        "api_key": API_KEY,
    }
    assert result["options"] == {
        CONF_UPDATE_INTERVAL: DEFAULT_UPDATE_INTERVAL,
        CONF_LOW_CREDIT_THRESHOLD: DEFAULT_LOW_CREDIT_THRESHOLD,
    }
    entry = result["result"]
    assert entry.state is ConfigEntryState.LOADED
    assert len(server.seen) == 2  # the try, then set-up
    state = hass.states.get(entity_id(hass, "sensor", entry.entry_id, "credit"))
    assert state is not None
    assert state.state == "12.34"
    assert state.attributes["unit_of_measurement"] == "EUR"
    assert state.attributes["device_class"] == "monetary"
    low_credit = entity_id(hass, "binary_sensor", entry.entry_id, "low_credit")
    low = hass.states.get(low_credit)
    assert low is not None
    assert low.state == "off"  # 12.34 EUR is not below 10


async def test_401_asks_for_reauth_and_stops_polling(
    hass: HomeAssistant,
    server: ExampleServer,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A revoked key: reauth, nothing more sent with it; a new key brings it back."""
    entry = (await add_account(hass, server))["result"]
    server.api_key = NEW_API_KEY  # revoked in the provider's control panel
    await tick(hass, freezer, INTERVAL + 1)
    assert len(server.seen) == 3
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert credit(hass, entry) == "unavailable"
    await tick(hass, freezer, INTERVAL + 1)
    assert len(server.seen) == 3  # the rejected key is not sent again

    result: Any = await hass.config_entries.flow.async_configure(flows[0]["flow_id"])
    assert result["step_id"] == "reauth_confirm"
    assert list(result["data_schema"].schema) == ["api_key"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"api_key": NEW_API_KEY}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    await hass.async_block_till_done()
    assert entry.data["api_key"] == NEW_API_KEY
    assert entry.state is ConfigEntryState.LOADED
    assert len(server.seen) == 5  # the try, then the reload
    assert server.seen[-1]["X-Example-Key"] == NEW_API_KEY
    assert credit(hass, entry) == "12.34"
    assert API_KEY not in caplog.text
    assert NEW_API_KEY not in caplog.text


async def test_429_waits_as_told(
    hass: HomeAssistant, server: ExampleServer, freezer: FrozenDateTimeFactory
) -> None:
    """Rate limited: unavailable, silent for the 120 s asked, then the credit."""
    entry = (await add_account(hass, server))["result"]
    server.queue.append((429, "", {"Retry-After": "120"}))
    await tick(hass, freezer, INTERVAL + 1)
    assert len(server.seen) == 3
    assert credit(hass, entry) == "unavailable"
    await entry.runtime_data.async_refresh()  # asking again sends nothing
    await tick(hass, freezer, 118)
    assert len(server.seen) == 3
    await tick(hass, freezer, 4)
    assert len(server.seen) == 4
    assert credit(hass, entry) == "12.34"


async def test_diagnostics_redact_the_key(
    hass: HomeAssistant, server: ExampleServer
) -> None:
    """The API key shows nowhere in the diagnostics; the account's name does."""
    entry = (await add_account(hass, server))["result"]
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    dump = json.dumps(diagnostics)
    assert API_KEY not in dump
    assert diagnostics["entry"]["data"]["api_key"] == "**REDACTED**"
    assert diagnostics["entry"]["data"]["username"] == "demo"
    assert diagnostics["entry"]["title"] == "Example SMS · demo"
    assert diagnostics["balance"] == {
        "amount": "12.34",
        "currency": "EUR",
        "credit_limit": None,
    }


# --- The same provider, counting credits instead of money -----------------


def read_credits(response: Response) -> Balance:
    """The balance in credits: no currency in the answer, none in the Balance."""
    if not 200 <= response.status < 300:
        return read_answer(response)
    return Balance(parse_amount(json_object(response.body).get("balance"), "balance"))


CREDITS_SPEC = replace(
    SPEC, unit="SMS credits", default_threshold=50, read_answer=read_credits
)


async def test_credits_are_not_money(
    hass: HomeAssistant, server: ExampleServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Declared in credits: the provider's unit, no currency, no money class.

    The threshold is asked, and defaults, in that unit.
    """
    monkeypatch.setattr(sys.modules[__name__], "SPEC", CREDITS_SPEC)
    flow = hass.config_entries.flow
    result: Any = await flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await flow.async_configure(result["flow_id"], {"provider": "Example SMS"})
    result = await flow.async_configure(
        result["flow_id"],
        {"name": "demo", "api_key": API_KEY, "advanced": {"custom_host": server.url}},
    )
    assert result["step_id"] == "threshold"
    assert result["description_placeholders"]["credit"] == "12.34 SMS credits"
    assert result["description_placeholders"]["currency"] == "SMS credits"
    (marker,) = result["data_schema"].schema
    assert marker.default() == 50
    selector = result["data_schema"].schema[marker]
    assert selector.config["unit_of_measurement"] == "SMS credits"
    result = await threshold_step(hass, result)
    await hass.async_block_till_done()
    entry = result["result"]
    assert entry.options[CONF_LOW_CREDIT_THRESHOLD] == 50
    state = hass.states.get(entity_id(hass, "sensor", entry.entry_id, "credit"))
    assert state is not None
    assert state.state == "12.34"
    assert state.attributes["unit_of_measurement"] == "SMS credits"
    assert "device_class" not in state.attributes
    assert state.attributes["state_class"] == "measurement"
    registry = er.async_get(hass)
    assert (
        registry.async_get_entity_id("sensor", DOMAIN, f"{entry.entry_id}_currency")
        is None
    )
    low = hass.states.get(
        entity_id(hass, "binary_sensor", entry.entry_id, "low_credit")
    )
    assert low is not None
    assert low.state == "on"  # 12.34 credits are below 50
    # The options speak the same unit.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["description_placeholders"]["currency"] == "SMS credits"


def make_credits_entry(server: ExampleServer) -> MockConfigEntry:
    """The recipe's example provider, counting credits, checked every hour."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Example SMS · demo",
        data={
            "provider": "example",
            "host": server.url,
            "auth_method": "api_key",
            "username": "demo",
            "api_key": API_KEY,
        },
        options={CONF_UPDATE_INTERVAL: 60, CONF_ADAPTIVE_POLLING: False},
        version=1,
        minor_version=2,
    )


async def test_credits_are_forecast_in_credits(
    hass: HomeAssistant,
    server: ExampleServer,
    monkeypatch: pytest.MonkeyPatch,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A provider counting credits: spending in credits a day, no money anywhere."""
    monkeypatch.setattr(sys.modules[__name__], "SPEC", CREDITS_SPEC)
    server.balance = "500"
    entry = make_credits_entry(server)
    await setup_entry(hass, entry)
    registry = er.async_get(hass)

    def sensor_id(key: str) -> str:
        found = registry.async_get_entity_id(
            "sensor", DOMAIN, f"{entry.entry_id}_{key}"
        )
        assert found is not None
        return found

    for _ in range(26):
        server.balance = str(int(server.balance) - 20)
        await tick(hass, freezer, 1800)
        await tick(hass, freezer, 1800)
    spending = hass.states.get(sensor_id("spending"))
    assert Decimal(spending.state) == 480
    assert spending.attributes["unit_of_measurement"] == "SMS credits/d"
    assert "device_class" not in spending.attributes
    amount = hass.states.get(sensor_id("last_top_up_amount"))
    assert "device_class" not in amount.attributes
    assert amount.attributes["unit_of_measurement"] == "SMS credits"
