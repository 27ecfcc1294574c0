"""The SMS Credit integration: prepaid credit of SMS-gateway accounts."""

from __future__ import annotations

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.const import CONF_HOST, Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.typing import ConfigType

from .const import CONF_PROVIDER, DOMAIN
from .coordinator import SmsCreditConfigEntry, SmsCreditCoordinator, async_delete_issues
from .helpers import account_name, create_client, valid_base_url
from .providers import PROVIDERS, ProviderSpec
from .store import async_get_store

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)
PLATFORMS: list[Platform] = [Platform.BINARY_SENSOR, Platform.SENSOR]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001
    """Load the limits kept across reloads and restarts."""
    await async_get_store(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SmsCreditConfigEntry) -> bool:
    """Set up an SMS Credit account: ask the provider (test before set-up)."""
    spec = _provider_of(entry)
    store = await async_get_store(hass)
    damaged: ConfigEntryError | None = None
    try:
        host = entry.data[CONF_HOST]
        if not isinstance(host, str) or not valid_base_url(host):
            raise ValueError  # noqa: TRY301 - one handler for every damage
        limiter = store.limiter(spec, host, account_name(entry.data))
        client = create_client(async_get_clientsession(hass), entry.data, limiter)
    except KeyError, TypeError, ValueError:
        # Entry data damaged in core.config_entries: say so, send nothing.
        damaged = ConfigEntryError(
            translation_domain=DOMAIN, translation_key="invalid_entry_data"
        )
    if damaged is not None:
        raise damaged
    coordinator = SmsCreditCoordinator(
        hass, entry, spec=spec, client=client, limiter=limiter, store=store
    )
    await coordinator.async_setup_refresh()
    entry.runtime_data = coordinator

    @callback
    def _entry_changed(change: ConfigEntryChange, changed: ConfigEntry) -> None:
        # Options apply to the running coordinator: no reload, no request.
        if change is ConfigEntryChange.UPDATED and changed is entry:
            coordinator.async_apply_options()

    entry.async_on_unload(
        async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _entry_changed)
    )
    # Issues describe the running account: they go when it stops.
    entry.async_on_unload(lambda: async_delete_issues(hass, entry.entry_id))
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    return True


def _provider_of(entry: SmsCreditConfigEntry) -> ProviderSpec:
    """The entry's provider; a clear error for one this release does not know."""
    key = entry.data.get(CONF_PROVIDER)
    if isinstance(key, str) and (spec := PROVIDERS.get(key)) is not None:
        return spec
    # Added by a newer release (after a downgrade), or damaged.
    raise ConfigEntryError(
        translation_domain=DOMAIN,
        translation_key="unknown_provider",
        translation_placeholders={"provider": str(key)[:40]},
    )


async def async_unload_entry(hass: HomeAssistant, entry: SmsCreditConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: SmsCreditConfigEntry) -> None:
    """Forget a removed account; pending waits of its site and login stay."""
    async_delete_issues(hass, entry.entry_id)
    store = await async_get_store(hass)
    store.async_forget_entry(entry.entry_id)


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """1.1 → 1.2: the unique ID held the server address; it goes.

    Duplicates are found by comparing credentials instead (the config flow).
    """
    # Home Assistant calls this only for older entries (a newer major
    # version is refused before): there is one step so far.
    hass.config_entries.async_update_entry(entry, unique_id=None, minor_version=2)
    return True
