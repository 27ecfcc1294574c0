"""The Check-now button: one check, within the provider's limits."""

from __future__ import annotations

from typing import override

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SmsCreditConfigEntry
from .entity import SmsCreditEntity

# The coordinator serialises requests: entities never update on their own.
PARALLEL_UPDATES = 0

CHECK_NOW = ButtonEntityDescription(key="check_now", translation_key="check_now")


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SmsCreditConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's Check-now button."""
    async_add_entities([SmsCreditCheckNowButton(entry.runtime_data, CHECK_NOW)])


class SmsCreditCheckNowButton(SmsCreditEntity, ButtonEntity):
    """Asks the provider now, or as soon as its limits allow."""

    @property
    @override
    def available(self) -> bool:
        """Always: a check is what a failing account needs."""
        return True

    @override
    async def async_press(self) -> None:
        """Check the balance (the coordinator's debouncer merges quick presses)."""
        await self.coordinator.async_request_refresh()
