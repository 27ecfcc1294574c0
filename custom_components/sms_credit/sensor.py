"""Sensors: the credit, its currency and the credit limit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal, override

from homeassistant.components.sensor import (
    DOMAIN as SENSOR_DOMAIN,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import DOMAIN
from .coordinator import SmsCreditConfigEntry, SmsCreditCoordinator
from .entity import SmsCreditEntity
from .providers import Balance, minor_unit

# The coordinator serialises requests: entities never update on their own.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmsCreditSensorEntityDescription(SensorEntityDescription):
    """Describes an SMS Credit sensor."""

    value_fn: Callable[[Balance], Decimal | str | None]
    unit: Literal["currency", "credits"] | None = None
    """The unit: the answer's currency, the provider's credits, or none."""


CREDIT = SmsCreditSensorEntityDescription(
    key="credit",
    translation_key="credit",
    device_class=SensorDeviceClass.MONETARY,
    state_class=SensorStateClass.TOTAL,
    unit="currency",
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
    entity_category=EntityCategory.DIAGNOSTIC,
    unit="currency",
    value_fn=lambda balance: balance.credit_limit,
)


def _in_credits(
    description: SmsCreditSensorEntityDescription,
) -> SmsCreditSensorEntityDescription:
    """The same value counted in a provider's credits: no money, no currency."""
    return replace(
        description,
        device_class=None,
        state_class=SensorStateClass.MEASUREMENT,
        unit="credits",
    )


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsCreditConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an account's sensors; the credit limit once the provider reports one."""
    coordinator = entry.runtime_data
    credit, limit = CREDIT, CREDIT_LIMIT
    if coordinator.spec.unit:  # credits: no currency to show
        credit, limit = _in_credits(CREDIT), _in_credits(CREDIT_LIMIT)
    # Once reported, the credit limit stays (also across reloads): a limit
    # the provider stops reporting shows as unknown, never as orphaned.
    added = er.async_get(hass).async_get_entity_id(
        SENSOR_DOMAIN, DOMAIN, f"{entry.entry_id}_{CREDIT_LIMIT.key}"
    ) is not None or _reports_a_limit(coordinator)
    descriptions = [credit] if coordinator.spec.unit else [credit, CURRENCY]
    descriptions += [limit] if added else []
    async_add_entities(SmsCreditSensor(coordinator, d) for d in descriptions)

    @callback
    def _add_credit_limit() -> None:
        nonlocal added
        if not added and _reports_a_limit(coordinator):
            added = True
            async_add_entities([SmsCreditSensor(coordinator, limit)])

    if not added:
        entry.async_on_unload(coordinator.async_add_listener(_add_credit_limit))


def _reports_a_limit(coordinator: SmsCreditCoordinator) -> bool:
    """Whether the last answer holds a credit limit."""
    return coordinator.data is not None and coordinator.data.credit_limit is not None


class SmsCreditSensor(SmsCreditEntity, SensorEntity):
    """A sensor reading one value of the account's balance."""

    entity_description: SmsCreditSensorEntityDescription

    @property
    @override
    def native_value(self) -> Decimal | str | None:
        """Return the value from the latest balance (asked only while available)."""
        return self.entity_description.value_fn(self.coordinator.data)

    @property
    @override
    def suggested_display_precision(self) -> int | None:
        """Money is shown with its currency's minor unit (JPY 0, KWD 3)."""
        currency = self.native_unit_of_measurement
        if self.entity_description.unit != "currency" or currency is None:
            return None
        return minor_unit(currency)

    @property
    @override
    def native_unit_of_measurement(self) -> str | None:
        """Money in the account's ISO 4217 currency; credits in the provider's unit."""
        if self.entity_description.unit == "credits":
            return self.coordinator.spec.unit
        if self.entity_description.unit == "currency" and (
            balance := self.coordinator.data
        ):
            return balance.currency
        return None
