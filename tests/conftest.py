"""Fixtures shared by every test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
import hashlib
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_USERNAME
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.sms_credit.const import (
    CONF_AUTH_METHOD,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_PROVIDER,
    CONF_UPDATE_INTERVAL,
    DOMAIN,
    STORAGE_KEY,
)
from custom_components.sms_credit.helpers import entry_title
from tests.standin import StandinProvider

DEMO_PASSWORD = "demo-password"
DEMO_PASSWORD_MD5 = hashlib.md5(
    DEMO_PASSWORD.encode(), usedforsecurity=False
).hexdigest()
SMSC_API_KEY = "demo-smsc-key"
AGILE_API_KEY = "demo-agile-key"
# Everything secret the tests use: none of it may show up anywhere.
SECRETS = (DEMO_PASSWORD, DEMO_PASSWORD_MD5, SMSC_API_KEY, AGILE_API_KEY)
ENTRY_ID = "01JSMSCREDITENTRY000000001"


def stored(version: int, data: Any) -> dict[str, Any]:
    """The integration's storage file as Home Assistant writes it."""
    return {"version": version, "minor_version": 1, "key": STORAGE_KEY, "data": data}


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Load custom integrations (ours) in every test."""


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the test plugin still allows connections to 127.0.0.1 only."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots that serialise registry entries and states as Home Assistant does.

    (Random IDs become placeholders, so snapshots are stable between runs.)
    """
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
async def standin() -> AsyncIterator[StandinProvider]:
    """The stand-in provider server on loopback, on Home Assistant's clock."""
    # A lambda, not time.time itself: freezegun patches time.time only where it
    # is looked up at call time.
    provider = StandinProvider(clock=lambda: time.time())  # noqa: PLW0108
    await provider.start()
    yield provider
    await provider.close()


def entry_data(
    standin: StandinProvider, provider: str = "smsc", **extra: Any
) -> dict[str, Any]:
    """Config entry data for the stand-in's demo account."""
    data: dict[str, Any] = {
        CONF_PROVIDER: provider,
        CONF_HOST: standin.url,
        CONF_AUTH_METHOD: "password",
        CONF_USERNAME: "demo",
    }
    if provider == "smsc":
        data["password_md5"] = DEMO_PASSWORD_MD5
    else:
        data["password"] = DEMO_PASSWORD
    data.update(extra)
    return data


def make_entry(
    data: dict[str, Any], entry_id: str = ENTRY_ID, **options: Any
) -> MockConfigEntry:
    """A config entry as the config flow creates it (no unique ID)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=entry_title(data),
        data=data,
        options={CONF_UPDATE_INTERVAL: 30, CONF_LOW_CREDIT_THRESHOLD: 10.0, **options},
        entry_id=entry_id,
        version=1,
        minor_version=2,
    )


@pytest.fixture
def smsc_entry(standin: StandinProvider) -> MockConfigEntry:
    """An SMSC account logging in with its password (stored as MD5)."""
    return make_entry(entry_data(standin))


@pytest.fixture
def agile_entry(standin: StandinProvider) -> MockConfigEntry:
    """An Agile Telecom account logging in with an API key."""
    data = entry_data(standin, "agile", **{CONF_AUTH_METHOD: "api_key"})
    del data["password"]
    data[CONF_API_KEY] = AGILE_API_KEY
    return make_entry(data)


def at_noon(freezer: FrozenDateTimeFactory) -> None:
    """Local noon today: a wait of an hour or two still ends today.

    A test that writes "until 00:01" must not depend on the hour it runs.
    """
    noon = dt_util.now().replace(hour=12, minute=0, second=0, microsecond=0)
    freezer.move_to(noon)


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add ``entry`` and set it up."""
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


async def tick(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Let simulated time pass, and Home Assistant act on it."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    # Scheduled refreshes run as background tasks.
    await hass.async_block_till_done(wait_background_tasks=True)


async def threshold_step(
    hass: HomeAssistant, result: Any, threshold: float | None = None
) -> Any:
    """Answer the add flow's last step, the low-credit threshold (its default).

    Any other result is returned as it is.
    """
    if result.get("step_id") != "threshold":
        return result
    answer = {} if threshold is None else {CONF_LOW_CREDIT_THRESHOLD: threshold}
    return await hass.config_entries.flow.async_configure(result["flow_id"], answer)
