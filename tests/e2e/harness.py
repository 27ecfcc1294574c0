"""What the end-to-end test and its fixtures share: constants and helpers."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
import json
import os
from pathlib import Path
import re
import shutil
import socket
import subprocess
import sys
import time
from typing import Any
import urllib.parse
import urllib.request

import aiohttp
from homeassistant import const as ha_const
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("SMS_CREDIT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT = 120.0
# The interpreter of the newest Home Assistant release's own environment
# (scripts/lib.sh, ensure_newest_ha); the tests' release is this process's.
NEWEST_PYTHON_ENV = "SMS_CREDIT_HA_NEWEST_PYTHON"
# What Home Assistant writes when code uses an API on its way out: the frame
# helper's "Detected that custom integration ... This will stop working in
# ...", and the deprecation helpers' "... is deprecated ...".
DEPRECATION_REPORT = re.compile(
    r"deprecat|will stop working|detected that custom integration|detected code that",
    re.IGNORECASE,
)
OWNER = {"name": "Owner", "username": "owner", "password": "owner-password"}
DASHBOARD_PATH = "sms-credit"
DASHBOARD_FILE = "sms_credit_dashboard.yaml"
DASHBOARD_CARD = REPO / "docs" / "dashboard_card.yaml"
BLUEPRINT = REPO / "blueprints" / "automation" / "sms_credit" / "low_credit.yaml"
# The automation a user makes from the blueprint, with its defaults (a
# notification in the sidebar), for the account the test adds.
LOW_CREDIT_AUTOMATION = {
    "id": "sms_credit_low",
    "alias": "SMS credit is low",
    "use_blueprint": {
        "path": "sms_credit/low_credit.yaml",
        "input": {"low_credit_sensors": ["binary_sensor.smsc_demo_low_credit"]},
    },
}


@dataclass(frozen=True)
class Release:
    """A Home Assistant release the end-to-end tests start, and its interpreter."""

    version: str
    python: str
    newest: bool


def tests_release() -> Release:
    """The release the unit tests use: this environment's."""
    return Release(ha_const.__version__, sys.executable, newest=False)


def releases() -> list[Release]:
    """The tests' release, and the newest release when its environment is known.

    Raises:
        LookupError: the newest release's environment is not set up (run
            through scripts/test, which sets it up).
    """
    python = os.environ.get(NEWEST_PYTHON_ENV, "")
    if not python:
        raise LookupError(
            f"{NEWEST_PYTHON_ENV} is not set: scripts/test sets up the newest "
            "Home Assistant release and names its interpreter there"
        )
    version = subprocess.run(  # noqa: S603 - our own environment's interpreter
        [
            python,
            "-c",
            "from homeassistant.const import __version__; print(__version__)",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.strip()
    return [tests_release(), Release(version, python, newest=True)]


def deprecation_reports(log: Path) -> list[str]:
    """The lines of a Home Assistant log that report a deprecated use."""
    if not log.exists():
        return []
    text = log.read_text(errors="replace")
    return [line for line in text.splitlines() if DEPRECATION_REPORT.search(line)]


def free_port() -> int:
    """Return a TCP port that is free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_json(
    url: str,
    data: Any = None,
    *,
    timeout: float = 10.0,
    method: str | None = None,
    token: str | None = None,
) -> Any:
    """GET (or POST ``data`` as JSON to) ``url``; return the decoded answer.

    ``method`` overrides that choice; ``token`` is sent as a bearer token.
    """
    body = None if data is None else json.dumps(data).encode()
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(  # noqa: S310 - always http://127.0.0.1
        url,
        body,
        method=method or ("GET" if data is None else "POST"),
        headers=headers,
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
        return json.loads(answer.read() or b"null")


def access_token(url: str, auth_code: str) -> str:
    """Trade the onboarding's authorization code for an access token."""
    form = urllib.parse.urlencode(
        {"grant_type": "authorization_code", "code": auth_code, "client_id": f"{url}/"}
    ).encode()
    with urllib.request.urlopen(f"{url}/auth/token", form, timeout=10) as answer:  # noqa: S310
        token: str = json.loads(answer.read())["access_token"]
    return token


def wait_until_serving(
    url: str, process: subprocess.Popen[bytes], log: Path, what: str
) -> None:
    """Wait until ``url`` answers 200, failing early if ``process`` died."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited ({process.returncode}):\n{tail(log)}")
        try:
            http_json(url, timeout=2.0)
        except OSError, ValueError:
            time.sleep(0.25)
        else:
            return
    pytest.fail(f"{what} did not answer {url} in {STARTUP_TIMEOUT:.0f} s:\n{tail(log)}")


def tail(log: Path, lines: int = 60, *, problems_only: bool = False) -> str:
    """Return the last lines of a log file (only warnings and errors if asked)."""
    if not log.exists():
        return "(no log)"
    kept = log.read_text(errors="replace").splitlines()
    if problems_only:
        kept = [line for line in kept if " WARNING " in line or " ERROR " in line]
    return "\n".join(kept[-lines:])


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a subprocess politely, then firmly."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def demo_account_answers(
    provider: str, standin_url: str, threshold: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The add flow's answers for the stand-in's ``demo`` account of a provider.

    SMSC's with its password, Agile Telecom's with its API key, on the
    provider's first server with the stand-in's address as the custom one;
    ``threshold`` answers the last step (its default when not given).
    """
    from custom_components.sms_credit.helpers import host_option  # noqa: PLC0415
    from custom_components.sms_credit.providers import PROVIDERS  # noqa: PLC0415

    method, secret = {
        "smsc": ("password", "demo-password"),
        "agile": ("api_key", "demo-agile-key"),
    }[provider]
    return [
        {"provider": provider},
        {"auth_method": method},
        {
            "host": host_option(PROVIDERS[provider].hosts[0]),
            "username" if method == "password" else "name": "demo",
            method: secret,
            "advanced": {"custom_host": standin_url},
        },
        threshold or {},
    ]


@dataclass(frozen=True)
class Standin:
    """The stand-in provider server, controlled over its HTTP API."""

    url: str

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Merge a state (``POST /_standin/state``)."""
        state: dict[str, Any] = http_json(f"{self.url}/_standin/state", changes)
        return state


@dataclass(frozen=True)
class HomeAssistantInstance:
    """A running Home Assistant and what the test needs to know of it."""

    url: str
    config_dir: Path
    log: Path
    release: Release
    token: str

    def api(self, method: str, path: str, data: Any = None) -> Any:
        """Call the REST API (``/api/<path>``) as the owner."""
        return http_json(
            f"{self.url}/api/{path}", data, timeout=30, method=method, token=self.token
        )

    def ws(self, message: dict[str, Any]) -> Any:
        """Send one WebSocket command as the owner; return its result.

        The client runs on an event loop of its own, in a thread of its own,
        so that it never touches the test plugin's loop.
        """

        async def call() -> Any:
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(f"{self.url}/api/websocket") as socket_,
            ):
                await socket_.receive_json()  # auth_required
                await socket_.send_json({"type": "auth", "access_token": self.token})
                assert (await socket_.receive_json())["type"] == "auth_ok"
                await socket_.send_json({"id": 1, **message})
                answer = await socket_.receive_json()
            assert answer["success"], answer
            return answer["result"]

        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, call()).result(timeout=60)


CANARY = Path(__file__).resolve().parent / "canary" / "sunset_canary"


def write_config(config_dir: Path, port: int, *, canary: bool = False) -> None:
    """A copy of config/configuration.yaml, prepared for an unattended start.

    * HTTP settings live in Home Assistant's storage (YAML ones would be a
      pending change that reverts after five minutes): loopback, a free port.
    * Onboarding is done except for creating the owner, which the test does
      through the onboarding API, as the first page of the UI would. Skipping
      the other steps skips the integrations they set up (weather, radio,
      text-to-speech), which would need the internet.
    * A YAML dashboard holds the example card of docs/dashboard_card.yaml.
    * The low-credit blueprint is installed, with an automation made from it.
    """
    storage = config_dir / ".storage"
    storage.mkdir(parents=True)
    shutil.copy(REPO / "config" / "configuration.yaml", config_dir)
    blueprint = config_dir / "blueprints" / "automation" / "sms_credit"
    blueprint.mkdir(parents=True)
    shutil.copy(BLUEPRINT, blueprint)
    (config_dir / "automations.yaml").write_text(
        yaml.safe_dump([LOW_CREDIT_AUTOMATION], sort_keys=False)
    )
    custom = config_dir / "custom_components"
    custom.mkdir()
    (custom / "sms_credit").symlink_to(REPO / "custom_components" / "sms_credit")
    if canary:
        (custom / CANARY.name).symlink_to(CANARY)
    http = {
        "stable": {
            "server_host": ["127.0.0.1"],
            "server_port": port,
            "cors_allowed_origins": [],
            "login_attempts_threshold": -1,
            "ip_ban_enabled": False,
            "ssl_profile": "modern",
            "use_x_frame_options": True,
        },
        "pending": None,
        "yaml_migration_done": True,
    }
    onboarding = {"done": ["core_config", "analytics", "integration"]}
    for key, version, minor, data in (
        ("http", 2, 2, http),
        ("onboarding", 4, 1, onboarding),
    ):
        stored = {"version": version, "minor_version": minor, "key": key, "data": data}
        (storage / key).write_text(json.dumps(stored))
    dashboards = {
        "lovelace": {
            "dashboards": {
                DASHBOARD_PATH: {
                    "mode": "yaml",
                    "filename": DASHBOARD_FILE,
                    "title": "SMS accounts",
                    "icon": "mdi:message-text",
                    "show_in_sidebar": True,
                }
            }
        }
    }
    with (config_dir / "configuration.yaml").open("a") as config:
        config.write("\n" + yaml.safe_dump(dashboards, sort_keys=False))
        if canary:
            config.write(f"{CANARY.name}:\n")
    card = yaml.safe_load(DASHBOARD_CARD.read_text())
    dashboard = {
        "title": "SMS accounts",
        "views": [{"title": "Credit", "cards": [card]}],
    }
    (config_dir / DASHBOARD_FILE).write_text(yaml.safe_dump(dashboard, sort_keys=False))
