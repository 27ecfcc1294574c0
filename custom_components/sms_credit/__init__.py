"""The SMS Credit integration: prepaid credit of SMS-gateway accounts."""

from __future__ import annotations

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
    ConfigEntryState,
)
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.typing import ConfigType

from .const import CONF_PROVIDER, DOMAIN
from .coordinator import SmsCreditConfigEntry, SmsCreditCoordinator, async_delete_issues
from .helpers import UnknownProviderError, account_of, async_get_spec, create_client
from .store import async_get_store

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
# In this order, one after the other: entities take each update in the order
# they were added, so the credit is written before "Low credit" turns on,
# and an automation triggered by it reads the new credit.
PLATFORMS: list[Platform] = [
    Platform.SENSOR,
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.NUMBER,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Load the limits kept across reloads and restarts."""
    await async_get_store(hass)

    @callback
    def _entry_changed(change: ConfigEntryChange, entry: ConfigEntry) -> None:
        if change is not ConfigEntryChange.UPDATED or entry.domain != DOMAIN:
            return
        if entry.state is ConfigEntryState.LOADED:
            # Options apply to the running coordinator: no reload, no request.
            entry.runtime_data.async_apply_options()
        elif (
            entry.disabled_by is not None and entry.state is ConfigEntryState.NOT_LOADED
        ):
            # A disabled account has no repair issues, whether it was running
            # or retrying its set-up (Home Assistant then unloads nothing).
            async_delete_issues(hass, entry.entry_id)

    async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _entry_changed)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SmsCreditConfigEntry) -> bool:
    """Set up an SMS Credit account: ask the provider (test before set-up)."""
    store = await async_get_store(hass)
    failure: ConfigEntryError | None = None
    try:
        await async_get_spec(hass, entry.data.get(CONF_PROVIDER))
        spec, host, login = account_of(entry.data)
        record = await store.async_entry(entry.entry_id, spec, host, login)
        limiter = store.limiter(spec, host, login)
        client = create_client(async_get_clientsession(hass), entry.data, limiter)
    except UnknownProviderError as err:
        # Added by a newer release (after a downgrade): nothing to talk to.
        failure = ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="unknown_provider",
            translation_placeholders={"provider": str(err)},
        )
    except KeyError, TypeError, ValueError:
        # Entry data damaged in core.config_entries: say so, send nothing.
        failure = ConfigEntryError(
            translation_domain=DOMAIN, translation_key="invalid_entry_data"
        )
    if failure is not None:
        raise failure  # outside the handler: no context to hold data
    coordinator = SmsCreditCoordinator(
        hass, entry, client=client, limiter=limiter, store=store, record=record
    )
    await coordinator.async_setup_refresh()
    entry.runtime_data = coordinator
    for platform in PLATFORMS:
        await hass.config_entries.async_forward_entry_setups(entry, [platform])
    return True


async def async_unload_entry(hass: HomeAssistant, entry: SmsCreditConfigEntry) -> bool:
    """Unload a config entry; its repair issues stay until an answer ends them."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: SmsCreditConfigEntry) -> None:
    """Forget a removed account; pending waits of its site and login stay."""
    async_delete_issues(hass, entry.entry_id)
    await (await async_get_store(hass)).async_forget_entry(entry.entry_id)


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """1.1 → 1.2: the unique ID held the server address; it goes.

    Duplicates are found by comparing credentials instead (the config flow).
    """
    hass.config_entries.async_update_entry(entry, unique_id=None, minor_version=2)
    return True
