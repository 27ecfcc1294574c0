"""The low-credit problem sensor."""

from __future__ import annotations

from typing import override

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)

# The component root imports it without re-exporting it (HA 2026.10), so
# mypy --strict only accepts the const module.
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

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
        threshold = low_credit_threshold(self.coordinator.config_entry.options)
        return self.coordinator.data.amount < threshold
