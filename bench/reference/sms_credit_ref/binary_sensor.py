"""The low-credit sensor, with the ``same_entities`` option only."""

from __future__ import annotations

from decimal import Decimal

from homeassistant.components.binary_sensor import BinarySensorEntity
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from . import RefConfigEntry, RefCoordinator
from .sensor import device_info

THRESHOLD = Decimal(10)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: RefConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the low-credit sensor."""
    async_add_entities([LowCreditSensor(entry.runtime_data, entry)])


class LowCreditSensor(CoordinatorEntity[RefCoordinator], BinarySensorEntity):
    """On while the credit is below 10."""

    _attr_has_entity_name = True
    _attr_device_class = BinarySensorDeviceClass.PROBLEM

    def __init__(self, coordinator: RefCoordinator, entry: RefConfigEntry) -> None:
        """Initialise the sensor of one config entry."""
        super().__init__(coordinator)
        self._attr_unique_id = f"{entry.entry_id}_low_credit"
        self._attr_name = "Low credit"
        self._attr_device_info = device_info(entry)

    @property
    def is_on(self) -> bool:
        """Return whether the credit is below the threshold."""
        return Decimal(str(self.coordinator.data["balance"])) < THRESHOLD
