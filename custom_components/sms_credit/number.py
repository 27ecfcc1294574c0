"""The low-credit threshold on the device: the options' one value, a second door."""

from __future__ import annotations

from typing import override

from homeassistant.components.number import (
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import CONF_LOW_CREDIT_THRESHOLD, DOMAIN, MAX_LOW_CREDIT_THRESHOLD
from .coordinator import SmsCreditConfigEntry
from .entity import SmsCreditEntity
from .helpers import low_credit_threshold, valid_threshold

# The coordinator serialises requests: entities never update on their own.
PARALLEL_UPDATES = 0

THRESHOLD = NumberEntityDescription(
    key="low_credit_threshold",
    translation_key="low_credit_threshold",
    entity_category=EntityCategory.CONFIG,
    mode=NumberMode.BOX,
    native_min_value=0,
    native_max_value=MAX_LOW_CREDIT_THRESHOLD,
    native_step=0.01,
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SmsCreditConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's threshold."""
    async_add_entities([SmsCreditThreshold(entry.runtime_data, THRESHOLD)])


class SmsCreditThreshold(SmsCreditEntity, NumberEntity):
    """Reads and writes the entry's low-credit threshold option."""

    @property
    @override
    def available(self) -> bool:
        """Always: the option can be set while the account fails."""
        return True

    @property
    @override
    def native_value(self) -> float:
        """The threshold the options hold."""
        return float(low_credit_threshold(self.coordinator.config_entry.options))

    @property
    @override
    def native_unit_of_measurement(self) -> str | None:
        """The account's currency or credits, once known."""
        return self.coordinator.unit

    @override
    async def async_set_native_value(self, value: float) -> None:
        """Store it in the options: the coordinator applies it, no request."""
        if valid_threshold(value) is None:  # the service lets "nan" through
            raise ServiceValidationError(
                translation_domain=DOMAIN, translation_key="invalid_threshold"
            )
        entry = self.coordinator.config_entry
        self.hass.config_entries.async_update_entry(
            entry, options={**entry.options, CONF_LOW_CREDIT_THRESHOLD: value}
        )
