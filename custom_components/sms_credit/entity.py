"""The base of every SMS Credit entity."""

from __future__ import annotations

from homeassistant.const import CONF_HOST
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import SmsCreditCoordinator


class SmsCreditEntity(CoordinatorEntity[SmsCreditCoordinator]):
    """An entity of one account's service device."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: SmsCreditCoordinator, description: EntityDescription
    ) -> None:
        """Initialise the entity."""
        super().__init__(coordinator)
        entry = coordinator.config_entry
        spec = coordinator.spec
        self.entity_description = description
        self._attr_unique_id = f"{entry.entry_id}_{description.key}"
        self._attr_device_info = DeviceInfo(
            configuration_url=spec.control_panel(entry.data[CONF_HOST]),
            entry_type=DeviceEntryType.SERVICE,
            identifiers={(DOMAIN, entry.entry_id)},
            manufacturer=spec.name,
            name=entry.title,
        )
