"""Sensors: the credit, its currency and limit, the forecast, the account's status."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
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
from .coordinator import STATUS_OK, STATUSES, SmsCreditConfigEntry, SmsCreditCoordinator
from .entity import SmsCreditEntity
from .providers import minor_unit

# The coordinator serialises requests: entities never update on their own.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SmsCreditSensorEntityDescription(SensorEntityDescription):
    """Describes an SMS Credit sensor."""

    value_fn: Callable[[SmsCreditCoordinator], Decimal | datetime | str | None]
    unit: Literal["amount", "per_day"] | None = None
    """An amount in the account's currency (or credits), or that per day."""
    always_available: bool = False
    """Shown while checks fail: what it says is true then too."""


def _top_up(coordinator: SmsCreditCoordinator) -> tuple[datetime, Decimal] | None:
    """When the credit last went up, and by how much."""
    spending = coordinator.spending
    if spending is None or (top_up := spending.top_up) is None:
        return None
    return coordinator.to_datetime(top_up[0]), top_up[1]


def _daily(coordinator: SmsCreditCoordinator) -> Decimal | None:
    """The spend per day, to a millionth (less is no spending: unknown, not 0)."""
    daily = coordinator.spending.daily if coordinator.spending else None
    return None if daily is None or (shown := round(daily, 6)) == 0 else shown


CREDIT = SmsCreditSensorEntityDescription(
    key="credit",
    translation_key="credit",
    device_class=SensorDeviceClass.MONETARY,
    state_class=SensorStateClass.TOTAL,
    unit="amount",
    value_fn=lambda coordinator: coordinator.data.amount,
)
CURRENCY = SmsCreditSensorEntityDescription(
    key="currency",
    translation_key="currency",
    entity_category=EntityCategory.DIAGNOSTIC,
    value_fn=lambda coordinator: coordinator.data.currency,
)
CREDIT_LIMIT = SmsCreditSensorEntityDescription(
    key="credit_limit",
    translation_key="credit_limit",
    device_class=SensorDeviceClass.MONETARY,
    state_class=SensorStateClass.TOTAL,
    entity_category=EntityCategory.DIAGNOSTIC,
    unit="amount",
    value_fn=lambda coordinator: coordinator.data.credit_limit,
)
FORECAST = (
    SmsCreditSensorEntityDescription(
        key="spending",
        translation_key="spending",
        state_class=SensorStateClass.MEASUREMENT,
        unit="per_day",
        value_fn=_daily,
    ),
    SmsCreditSensorEntityDescription(
        key="runs_out",
        translation_key="runs_out",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda coordinator: coordinator.runs_out,
    ),
    SmsCreditSensorEntityDescription(
        key="last_top_up",
        translation_key="last_top_up",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda coordinator: (top_up := _top_up(coordinator)) and top_up[0],
    ),
    SmsCreditSensorEntityDescription(
        key="last_top_up_amount",
        translation_key="last_top_up_amount",
        device_class=SensorDeviceClass.MONETARY,
        unit="amount",
        value_fn=lambda coordinator: (top_up := _top_up(coordinator)) and top_up[1],
    ),
    SmsCreditSensorEntityDescription(
        key="last_checked",
        translation_key="last_checked",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        always_available=True,
        value_fn=lambda coordinator: coordinator.last_checked,
    ),
    SmsCreditSensorEntityDescription(
        key="status",
        translation_key="status",
        device_class=SensorDeviceClass.ENUM,
        entity_category=EntityCategory.DIAGNOSTIC,
        options=[STATUS_OK, *sorted(set(STATUSES.values())), "error"],
        always_available=True,
        value_fn=lambda coordinator: coordinator.status,
    ),
)


def _in_credits(
    description: SmsCreditSensorEntityDescription,
) -> SmsCreditSensorEntityDescription:
    """The same value counted in a provider's credits: no money, no currency."""
    if description.device_class is not SensorDeviceClass.MONETARY:
        return description
    state_class = description.state_class and SensorStateClass.MEASUREMENT
    return replace(description, device_class=None, state_class=state_class)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SmsCreditConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add an account's sensors; the credit limit once the provider reports one."""
    coordinator = entry.runtime_data
    in_credits = bool(coordinator.spec.unit)  # no money, no currency to show
    credit, limit = CREDIT, CREDIT_LIMIT
    forecast: tuple[SmsCreditSensorEntityDescription, ...] = FORECAST
    if in_credits:
        credit, limit = _in_credits(CREDIT), _in_credits(CREDIT_LIMIT)
        forecast = tuple(map(_in_credits, FORECAST))
    # Once reported, the credit limit stays (also across reloads): a limit
    # the provider stops reporting shows as unknown, never as orphaned.
    added = er.async_get(hass).async_get_entity_id(
        SENSOR_DOMAIN, DOMAIN, f"{entry.entry_id}_{CREDIT_LIMIT.key}"
    ) is not None or _reports_a_limit(coordinator)
    descriptions = [credit] if in_credits else [credit, CURRENCY]
    descriptions += [limit] if added else []
    descriptions += forecast
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
    """A sensor reading one value of the account's coordinator."""

    entity_description: SmsCreditSensorEntityDescription

    @property
    @override
    def available(self) -> bool:
        """Available with the account, or always (last checked, status)."""
        return self.entity_description.always_available or super().available

    @property
    @override
    def native_value(self) -> Decimal | datetime | str | None:
        """Return the value from the coordinator (asked only while available)."""
        return self.entity_description.value_fn(self.coordinator)

    @property
    @override
    def suggested_display_precision(self) -> int | None:
        """Money is shown with its currency's minor unit (JPY 0, KWD 3)."""
        if self.entity_description.unit is None or self.coordinator.spec.unit:
            return None
        unit = self.coordinator.unit
        return None if unit is None else minor_unit(unit)

    @property
    @override
    def native_unit_of_measurement(self) -> str | None:
        """Money in the account's ISO 4217 currency; credits in the provider's unit."""
        per, unit = self.entity_description.unit, self.coordinator.unit
        if per is None or unit is None:
            return None
        return unit if per == "amount" else f"{unit}/d"
