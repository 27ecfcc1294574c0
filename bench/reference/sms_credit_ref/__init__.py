"""The benchmark's reference: the least an SMSC balance integration can do.

One coordinator per config entry, one POST to SMSC's ``balance.php`` through
Home Assistant's shared aiohttp session, one sensor. No rate limiter, no
stored state, no repair issues, no diagnostics, no translations: the floor
that the real integration is measured against (see ``bench/run.py``).

Entry data: ``host`` (base URL), ``username`` and ``password_md5``, as the
real integration stores them. With the option ``same_entities`` (the
benchmark's ``--entity-model``), an entry gets the real integration's entity
model instead: a service device with the credit, currency, credit-limit and low-credit
entities, which tells apart what those entities cost Home Assistant from
what the real integration's own code costs.
"""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any

import aiohttp
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

DOMAIN = "sms_credit_ref"
LOGGER = logging.getLogger(__package__)
CONF_SAME_ENTITIES = "same_entities"
TIMEOUT = aiohttp.ClientTimeout(total=15)

type RefCoordinator = DataUpdateCoordinator[dict[str, Any]]
type RefConfigEntry = ConfigEntry[RefCoordinator]


def platforms(entry: RefConfigEntry) -> list[Platform]:
    """The platforms of an entry: the sensor, or the real integration's."""
    if entry.options.get(CONF_SAME_ENTITIES):
        return [Platform.BINARY_SENSOR, Platform.SENSOR]
    return [Platform.SENSOR]


async def async_setup_entry(hass: HomeAssistant, entry: RefConfigEntry) -> bool:
    """Fetch the balance once, then add the sensor."""
    session = async_get_clientsession(hass)
    url = f"{entry.data['host']}/sys/balance.php"
    form = {
        "login": entry.data["username"],
        "psw": entry.data["password_md5"],
        "fmt": "3",
        "cur": "1",
        "charset": "utf-8",
    }

    async def async_fetch() -> dict[str, Any]:
        try:
            async with session.post(url, data=form, timeout=TIMEOUT) as response:
                answer: dict[str, Any] = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            raise UpdateFailed(f"cannot read the balance: {err}") from err
        if "error_code" in answer:
            raise UpdateFailed(f"SMSC error {answer['error_code']}")
        return answer

    coordinator: RefCoordinator = DataUpdateCoordinator(
        hass,
        LOGGER,
        config_entry=entry,
        name=entry.title,
        update_method=async_fetch,
        update_interval=timedelta(minutes=30),
    )
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    await hass.config_entries.async_forward_entry_setups(entry, platforms(entry))
    return True


async def async_unload_entry(hass: HomeAssistant, entry: RefConfigEntry) -> bool:
    """Unload the entities."""
    return await hass.config_entries.async_unload_platforms(entry, platforms(entry))
