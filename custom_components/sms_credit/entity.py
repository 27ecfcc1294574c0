"""The base of every SMS Credit entity."""

from __future__ import annotations

from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .coordinator import SmsCreditCoordinator


class SmsCreditEntity(CoordinatorEntity[SmsCreditCoordinator]):
    """An entity of one account's service device."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: SmsCreditCoordinator, description: EntityDescription
    ) -> None:
        """Initialise the entity."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.config_entry.entry_id}_{description.key}"
        self._attr_device_info = coordinator.device_info
