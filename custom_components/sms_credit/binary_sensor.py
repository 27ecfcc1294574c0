"""The low-credit problem sensor: by amount or by forecast."""

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
from .helpers import low_credit_days, low_credit_threshold

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
    """On while the credit is below the threshold, or runs out within the days set."""

    @property
    @override
    def is_on(self) -> bool:
        """Whether the credit is low (asked only while available)."""
        return self.coordinator.low

    @property
    @override
    def extra_state_attributes(self) -> Mapping[str, Any]:
        """The threshold, why it is low, the low period, the credit sensor.

        ``low_by``: ``threshold`` (under it) or ``forecast`` (runs out within
        ``days``); the credit sensor's ID may change, so it is named here.
        """
        coordinator, options = self.coordinator, self.coordinator.config_entry.options
        credit = er.async_get(self.hass).async_get_entity_id(
            SENSOR_DOMAIN, DOMAIN, f"{coordinator.config_entry.entry_id}_credit"
        )
        return {
            "threshold": float(low_credit_threshold(options)),
            "days": low_credit_days(options),
            "low_by": coordinator.low_by,
            "runs_out": coordinator.runs_out,
            "low_since": coordinator.low_since,
            "newly_low": coordinator.newly_low,
            "credit_entity": credit,
        }
