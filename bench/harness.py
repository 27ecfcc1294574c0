"""A real Home Assistant core in the benchmark's process, and the stand-in.

No test doubles: :func:`running_hass` builds ``HomeAssistant`` the way
``homeassistant.bootstrap`` does (registries, config entries and storage on
disk in a temporary configuration directory), starts it, and sets up the
``sensor`` and ``binary_sensor`` components that both integrations' entities
need. Config entries are written to ``.storage/core.config_entries`` before
Home Assistant starts, so that setting up the integration sets all of them up
at once, as at a real start. Providers are reached over real HTTP on
127.0.0.1, with Home Assistant's shared aiohttp session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
import hashlib
import json
import logging
from pathlib import Path
import shutil
import subprocess
import sys
from types import MappingProxyType
from typing import IO, Any, Self

import aiohttp
from aiohttp.resolver import ThreadedResolver
from homeassistant import bootstrap, config_entries, loader
from homeassistant.config_entries import ConfigEntries, ConfigEntry
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import HomeAssistant
from homeassistant.helpers import aiohttp_client
from homeassistant.helpers.json import json_bytes
from homeassistant.setup import async_setup_component

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
INTEGRATION_DIR = REPO_ROOT / "custom_components" / "sms_credit"
REFERENCE_DIR = BENCH_DIR / "reference" / "sms_credit_ref"

# What both integrations' entities need, set up before anything is measured.
BASE_COMPONENTS = ("sensor", "binary_sensor")

STANDIN_PASSWORD = "bench-password"  # noqa: S105 - the stand-in's, see standin_server.py
STANDIN_PASSWORD_MD5 = hashlib.md5(
    STANDIN_PASSWORD.encode(), usedforsecurity=False
).hexdigest()
STANDIN_SMSC_PATH = "/sys/balance.php"


@dataclass(frozen=True, slots=True)
class Side:
    """One of the integrations compared, and its entries' options."""

    label: str
    domain: str
    options: tuple[tuple[str, Any], ...] = ()


INTEGRATION = Side(
    "integration",
    "sms_credit",
    # As the config flow sets them.
    (("update_interval", 30), ("low_credit_threshold", 10.0)),
)
REFERENCE = Side("reference", "sms_credit_ref")
# The reference with the integration's entity model (``--entity-model``).
REFERENCE_ENTITIES = Side("ref.+entities", "sms_credit_ref", (("same_entities", True),))


def standin_login(index: int) -> str:
    """Return the login of stand-in account ``index`` (see standin_server.py)."""
    return f"bench{index:04d}"


def make_config_dir(root: Path) -> Path:
    """Create a configuration directory with both integrations in it."""
    config_dir = root / "config"
    custom = config_dir / "custom_components"
    custom.mkdir(parents=True)
    (custom / "sms_credit").symlink_to(INTEGRATION_DIR)
    (custom / "sms_credit_ref").symlink_to(REFERENCE_DIR)
    return config_dir


def entry_for(side: Side, url: str, index: int) -> ConfigEntry:
    """Return a config entry for stand-in account ``index``.

    The real integration's entry is what its config flow creates for an SMSC
    login with a password (title, unique ID, options); the reference reads
    the same data and has the same title (entity IDs derive from it, and
    making them costs more for a non-ASCII title such as this ``·`` one).
    """
    login = standin_login(index)
    data = {
        "provider": "smsc",
        "host": url,
        "auth_method": "password",
        "username": login,
        "password_md5": STANDIN_PASSWORD_MD5,
    }
    # helpers.entry_title; entries carry no unique ID (duplicates are found
    # by their credentials).
    title = f"SMSC · {login}"
    return ConfigEntry(
        data=data,
        discovery_keys=MappingProxyType({}),
        domain=side.domain,
        minor_version=2,
        options=dict(side.options),
        source=config_entries.SOURCE_USER,
        subentries_data=None,
        title=title,
        unique_id=None,
        version=1,
    )


def write_entries(config_dir: Path, entries: Sequence[ConfigEntry]) -> None:
    """Start from empty storage holding only ``entries``."""
    storage = config_dir / ".storage"
    shutil.rmtree(storage, ignore_errors=True)
    storage.mkdir()
    document = {
        "version": config_entries.STORAGE_VERSION,
        "minor_version": config_entries.STORAGE_VERSION_MINOR,
        "key": config_entries.STORAGE_KEY,
        "data": {"entries": [entry.as_storage_fragment for entry in entries]},
    }
    (storage / config_entries.STORAGE_KEY).write_bytes(json_bytes(document))


def forget_fetch_times(config_dir: Path) -> None:
    """Drop the integration's stored answers, as after a long stop.

    A restart asks the provider whenever the limiter allows it; a stored
    answer only stands in when it does not. Dropping them makes sure both
    sides do the same work whatever the windows hold.
    """
    # The entries' files (``sms_credit.entries_<n>``) hold their answers.
    for path in (config_dir / ".storage").glob("sms_credit.entries_*"):
        document = json.loads(path.read_text(encoding="utf-8"))
        for entry in document["data"]["entries"].values():
            entry.pop("answer", None)
        path.write_text(json.dumps(document), encoding="utf-8")


def quiet_logging() -> None:
    """Log warnings only, and not the custom-integration warning each start."""
    logging.basicConfig(
        level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)


@asynccontextmanager
async def running_hass(config_dir: Path) -> AsyncIterator[HomeAssistant]:
    """A started Home Assistant with its base components set up, then stopped."""
    hass = HomeAssistant(str(config_dir))
    loader.async_setup(hass)
    hass.config.skip_pip = True
    # The shared session's resolver would start zeroconf (multicast on every
    # interface). Nothing is resolved here (the stand-in is at 127.0.0.1), so
    # a plain resolver stands in for it, as in Home Assistant's own tests.
    hass.data[aiohttp_client.DATA_RESOLVER] = ThreadedResolver()  # type: ignore[misc]
    hass.config_entries = ConfigEntries(hass, {})
    await loader.async_get_custom_components(hass)
    if not await bootstrap.async_load_base_functionality(hass):
        raise RuntimeError("Home Assistant's base functionality did not load")
    await hass.async_start()
    for domain in BASE_COMPONENTS:
        if not await async_setup_component(hass, domain, {}):
            raise RuntimeError(f"{domain} did not set up")
    await hass.async_block_till_done()
    try:
        yield hass
    finally:
        await hass.async_stop()


async def flush_writes(hass: HomeAssistant) -> None:
    """Write every delayed ``.storage`` save now, and wait for the writes.

    (What Home Assistant does when it stops; the stores keep working after.)
    """
    hass.bus.async_fire_internal(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()


class Standin:
    """The stand-in provider in a child process, and its control API."""

    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        """Wrap a started stand-in; use :meth:`start`."""
        self._process = process
        self.url = url
        self._session: aiohttp.ClientSession | None = None

    @classmethod
    def start(cls, accounts: int) -> Self:
        """Start the stand-in with ``accounts`` SMSC logins; wait for its URL."""
        process = subprocess.Popen(  # noqa: S603 - our own script
            [
                sys.executable,
                str(BENCH_DIR / "standin_server.py"),
                "--accounts",
                str(accounts),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO_ROOT,
        )
        stdout: IO[str] | None = process.stdout
        url = stdout.readline().strip() if stdout is not None else ""
        if not url.startswith("http://127.0.0.1:"):
            process.kill()
            raise RuntimeError(f"the stand-in did not start (said {url!r})")
        return cls(process, url)

    def stop(self) -> None:
        """Stop the child process."""
        if self._process.stdin is not None:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()

    async def _request(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        async with self._session.request(
            method, f"{self.url}{path}", json=body
        ) as response:
            response.raise_for_status()
            state: dict[str, Any] = await response.json()
            return state

    async def requests(self) -> int:
        """How many SMSC balance requests the stand-in has received."""
        state = await self._request("GET", "/_standin/state")
        return int(state["requests"].get(STANDIN_SMSC_PATH, 0))

    async def set_balance(self, accounts: int, balance: str) -> None:
        """Give the first ``accounts`` accounts a new balance."""
        changes = {standin_login(i): {"balance": balance} for i in range(accounts)}
        await self._request("POST", "/_standin/state", {"smsc": changes})

    async def close_session(self) -> None:
        """Close the control session (before its event loop ends)."""
        if self._session is not None:
            await self._session.close()
            self._session = None
