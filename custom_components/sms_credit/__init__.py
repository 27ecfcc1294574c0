"""The SMS Credit integration: prepaid credit of SMS-gateway accounts."""

from __future__ import annotations

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .accounts import async_get_account_store
from .const import DOMAIN, ISSUE_IP_BLOCKED, ISSUE_IP_NOT_ALLOWED, ISSUE_RATE_LIMITED
from .coordinator import SmsCreditConfigEntry, SmsCreditCoordinator, issue_id
from .helpers import account_key, create_client, provider_spec

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Load the per-account state kept across reloads and restarts."""
    await async_get_account_store(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SmsCreditConfigEntry) -> bool:
    """Set up an SMS Credit account from a config entry."""
    spec = provider_spec(entry.data)
    store = await async_get_account_store(hass)
    account = store.get(account_key(entry.data), spec.rate_limit)
    client = create_client(async_get_clientsession(hass), entry.data, account.limiter)
    coordinator = SmsCreditCoordinator(
        hass, entry, spec=spec, client=client, account=account, store=store
    )
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SmsCreditConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: SmsCreditConfigEntry) -> None:
    """Forget everything about a removed account (its issues too)."""
    for kind in (ISSUE_IP_BLOCKED, ISSUE_IP_NOT_ALLOWED, ISSUE_RATE_LIMITED):
        ir.async_delete_issue(hass, DOMAIN, issue_id(kind, entry.entry_id))
    # One entry per account (the unique ID is the account key).
    store = await async_get_account_store(hass)
    store.async_forget(account_key(entry.data))
