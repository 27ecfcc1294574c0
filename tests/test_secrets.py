"""No password, key or hash ever leaves the integration's storage."""

from __future__ import annotations

import logging

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import CONF_API_KEY, CONF_PASSWORD, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er, issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_credit.const import DOMAIN
from custom_components.sms_credit.diagnostics import async_get_config_entry_diagnostics
from tests.conftest import (
    AGILE_API_KEY,
    DEMO_PASSWORD,
    SECRETS,
    SMSC_API_KEY,
    setup_entry,
    threshold_step,
    tick,
)
from tests.providers.helpers import reachable_texts
from tests.standin import StandinProvider

FAILURES = [
    (200, '{"error": "params", "error_code": 1}'),
    (200, '{"error": "blocked", "error_code": 4}'),
    (200, '{"error": "busy", "error_code": 9}'),
    (503, "<html>down</html>"),
    (200, "not json"),
    (200, '{"error": "invalid", "error_code": 2}'),  # last: it stops requests
]


async def test_no_secret_anywhere(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    agile_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The whole failure suite at debug level: logs, diagnostics, issues, errors."""
    caplog.set_level(logging.DEBUG)
    assert await async_setup_component(hass, "repairs", {})
    texts: list[str] = []

    # Add accounts through the flow, with every login method and a typo.
    for provider, method, secret_key, secret in (
        ("smsc", "password", CONF_PASSWORD, DEMO_PASSWORD),
        ("smsc", "api_key", CONF_API_KEY, SMSC_API_KEY),
        ("agile", "api_key", CONF_API_KEY, AGILE_API_KEY),
        ("agile", "password", CONF_PASSWORD, DEMO_PASSWORD),
    ):
        result = await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_USER}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"provider": provider}
        )
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {"auth_method": method}
        )
        user_input = {
            "advanced": {"custom_host": standin.url},
            CONF_USERNAME if method == "password" else "name": f"{provider}-{method}",
            secret_key: secret,
        }
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], user_input
        )
        result = await threshold_step(hass, result)
        if result["type"] is FlowResultType.CREATE_ENTRY:
            # An API key works whatever login names the account. (The entry's
            # data holds the key: that is the storage it belongs in.)
            await hass.async_block_till_done()
            texts.append(str(result["result"]))
            await hass.config_entries.async_remove(result["result"].entry_id)
        else:
            texts.append(repr(result))
            hass.config_entries.flow.async_abort(result["flow_id"])

    smsc_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(smsc_entry.entry_id)
    coordinator = smsc_entry.runtime_data
    for status, body in FAILURES:
        await tick(hass, freezer, 3600)
        standin.respond_next(status, body)
        await coordinator.async_refresh()
        # Everything reachable from the error: cause, context, args, attributes.
        texts.extend(reachable_texts(coordinator.last_exception))
        texts.append(repr(coordinator.client))
        diagnostics = await async_get_config_entry_diagnostics(hass, smsc_entry)
        texts.append(repr(diagnostics))
    texts.append(repr(smsc_entry.reason))
    texts.extend(repr(issue.to_json()) for issue in ir.async_get(hass).issues.values())
    texts.extend(
        repr(entry.as_partial_dict) for entry in er.async_get(hass).entities.values()
    )
    texts.extend(repr(state.as_dict()) for state in hass.states.async_all())
    texts.append(smsc_entry.unique_id or "")

    await hass.config_entries.async_remove(smsc_entry.entry_id)  # same entry ID
    await setup_entry(hass, agile_entry)
    standin.allowed_ips = ["192.0.2.1"]
    await agile_entry.runtime_data.async_refresh()
    texts.extend(reachable_texts(agile_entry.runtime_data.last_exception))
    texts.extend(repr(issue.to_json()) for issue in ir.async_get(hass).issues.values())
    texts.append(agile_entry.unique_id or "")

    texts.extend(record.getMessage() for record in caplog.records)
    texts.append(caplog.text)
    assert len(texts) > 40
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, (secret[:2], text[:200])
