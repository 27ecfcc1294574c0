"""The low-credit problem sensor."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, override

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)

# The component root imports it without re-exporting it (HA 2026.10), so
# mypy --strict only accepts the const module.
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.sensor import DOMAIN as SENSOR_DOMAIN
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .coordinator import SmsCreditConfigEntry
from .entity import SmsCreditEntity
from .helpers import low_credit_threshold

# The coordinator serialises requests: entities never update on their own.
PARALLEL_UPDATES = 0

LOW_CREDIT = BinarySensorEntityDescription(
    key="low_credit",
    translation_key="low_credit",
    device_class=BinarySensorDeviceClass.PROBLEM,
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SmsCreditConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's low-credit sensor."""
    async_add_entities([SmsCreditLowCreditSensor(entry.runtime_data, LOW_CREDIT)])


class SmsCreditLowCreditSensor(SmsCreditEntity, BinarySensorEntity):
    """On while the credit is below the user's threshold."""

    @property
    @override
    def is_on(self) -> bool:
        """Whether the credit is below the threshold (asked only while available)."""
        return self.coordinator.low

    @property
    @override
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """The threshold, the low period, the credit sensor (its ID may change)."""
        coordinator = self.coordinator
        credit = er.async_get(self.hass).async_get_entity_id(
            SENSOR_DOMAIN, DOMAIN, f"{coordinator.config_entry.entry_id}_credit"
        )
        return {
            "threshold": float(low_credit_threshold(coordinator.config_entry.options)),
            "low_since": coordinator.low_since,
            "newly_low": coordinator.newly_low,
            "credit_entity": credit,
        }
