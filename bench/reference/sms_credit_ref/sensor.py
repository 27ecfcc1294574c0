"""The reference's sensor: the credit, in the account's currency.

With the ``same_entities`` option, also the currency and credit-limit
sensors, all on a service device, as in the real integration.
"""

from __future__ import annotations

from decimal import Decimal

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorStateClass,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from . import CONF_SAME_ENTITIES, DOMAIN, RefConfigEntry, RefCoordinator


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001
    entry: RefConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the credit sensor (and the currency sensor)."""
    coordinator = entry.runtime_data
    if not entry.options.get(CONF_SAME_ENTITIES):
        async_add_entities([CreditSensor(coordinator, entry)])
        return
    async_add_entities(
        [
            DeviceCreditSensor(coordinator, entry),
            CurrencySensor(coordinator, entry),
            CreditLimitSensor(coordinator, entry),
        ]
    )


def device_info(entry: RefConfigEntry) -> DeviceInfo:
    """The service device of an entry, as the real integration describes it."""
    return DeviceInfo(
        configuration_url="https://smsc.ru/login/",
        entry_type=DeviceEntryType.SERVICE,
        identifiers={(DOMAIN, entry.entry_id)},
        manufacturer="SMS Center (SMSC)",
        name=entry.title,
    )


class CreditSensor(CoordinatorEntity[RefCoordinator], SensorEntity):
    """The account's credit."""

    _attr_device_class = SensorDeviceClass.MONETARY
    _attr_state_class = SensorStateClass.TOTAL

    def __init__(self, coordinator: RefCoordinator, entry: RefConfigEntry) -> None:
        """Initialise the sensor of one config entry."""
        super().__init__(coordinator)
        self._attr_unique_id = entry.entry_id
        self._attr_name = entry.title

    @property
    def native_value(self) -> Decimal:
        """Return the credit."""
        return Decimal(str(self.coordinator.data["balance"]))

    @property
    def native_unit_of_measurement(self) -> str:
        """Return the account's currency."""
        return str(self.coordinator.data["currency"])


class DeviceCreditSensor(CreditSensor):
    """The credit, as an entity of the entry's device."""

    _attr_has_entity_name = True
    _attr_suggested_display_precision = 2

    def __init__(self, coordinator: RefCoordinator, entry: RefConfigEntry) -> None:
        """Initialise the sensor of one config entry."""
        super().__init__(coordinator, entry)
        self._attr_unique_id = f"{entry.entry_id}_credit"
        self._attr_name = "Credit"
        self._attr_device_info = device_info(entry)


class CurrencySensor(CoordinatorEntity[RefCoordinator], SensorEntity):
    """The account's currency."""

    _attr_has_entity_name = True
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(self, coordinator: RefCoordinator, entry: RefConfigEntry) -> None:
        """Initialise the sensor of one config entry."""
        super().__init__(coordinator)
        self._attr_unique_id = f"{entry.entry_id}_currency"
        self._attr_name = "Currency"
        self._attr_device_info = device_info(entry)

    @property
    def native_value(self) -> str:
        """Return the currency."""
        return str(self.coordinator.data["currency"])


class CreditLimitSensor(CoordinatorEntity[RefCoordinator], SensorEntity):
    """The account's credit limit (SMSC's ``credit``: 0 when it leaves it out).

    The real integration adds it for SMSC, whose JSON answer with a currency
    implies a credit limit: without it the entity models would differ.
    """

    _attr_has_entity_name = True
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_device_class = SensorDeviceClass.MONETARY
    _attr_state_class = SensorStateClass.TOTAL

    def __init__(self, coordinator: RefCoordinator, entry: RefConfigEntry) -> None:
        """Initialise the sensor of one config entry."""
        super().__init__(coordinator)
        self._attr_unique_id = f"{entry.entry_id}_credit_limit"
        self._attr_name = "Credit limit"
        self._attr_device_info = device_info(entry)

    @property
    def native_value(self) -> Decimal:
        """Return the credit limit."""
        return Decimal(str(self.coordinator.data.get("credit", 0)))

    @property
    def native_unit_of_measurement(self) -> str:
        """Return the account's currency."""
        return str(self.coordinator.data["currency"])
