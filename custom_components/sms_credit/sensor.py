"""Sensors: the credit, its currency and the credit limit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import SmsCreditConfigEntry
from .entity import SmsCreditEntity
from .providers import Balance

# The coordinator serialises requests: entities never update on their own.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmsCreditSensorEntityDescription(SensorEntityDescription):
    """Describes an SMS Credit sensor."""

    value_fn: Callable[[Balance], Decimal | str | None]
    monetary: bool = False


CREDIT = SmsCreditSensorEntityDescription(
    key="credit",
    translation_key="credit",
    device_class=SensorDeviceClass.MONETARY,
    state_class=SensorStateClass.TOTAL,
    suggested_display_precision=2,
    monetary=True,
    value_fn=lambda balance: balance.amount,
)
CURRENCY = SmsCreditSensorEntityDescription(
    key="currency",
    translation_key="currency",
    entity_category=EntityCategory.DIAGNOSTIC,
    value_fn=lambda balance: balance.currency,
)
CREDIT_LIMIT = SmsCreditSensorEntityDescription(
    key="credit_limit",
    translation_key="credit_limit",
    device_class=SensorDeviceClass.MONETARY,
    state_class=SensorStateClass.TOTAL,
    suggested_display_precision=2,
    entity_category=EntityCategory.DIAGNOSTIC,
    monetary=True,
    value_fn=lambda balance: balance.credit_limit,
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SmsCreditConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an account's sensors; the credit limit once the provider reports one."""
    coordinator = entry.runtime_data
    async_add_entities(
        SmsCreditSensor(coordinator, description) for description in (CREDIT, CURRENCY)
    )
    credit_limit_added = False

    @callback
    def _add_credit_limit() -> None:
        nonlocal credit_limit_added
        if credit_limit_added or coordinator.data.credit_limit is None:
            return
        credit_limit_added = True
        async_add_entities([SmsCreditSensor(coordinator, CREDIT_LIMIT)])

    _add_credit_limit()
    entry.async_on_unload(coordinator.async_add_listener(_add_credit_limit))


class SmsCreditSensor(SmsCreditEntity, SensorEntity):
    """A sensor reading one value of the account's balance."""

    entity_description: SmsCreditSensorEntityDescription

    @property
    def native_value(self) -> Decimal | str | None:
        """Return the value from the latest balance."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Monetary values are in the account's ISO 4217 currency."""
        if self.entity_description.monetary:
            return self.coordinator.data.currency
        return None
