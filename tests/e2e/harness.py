"""What the end-to-end test and its fixtures share: constants and helpers."""

from __future__ import annotations

from dataclasses import dataclass
import json
import os
from pathlib import Path
import shutil
import socket
import subprocess
import time
from typing import Any
import urllib.request

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


def free_port() -> int:
    """Return a TCP port that is free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_json(url: str, data: Any = None, *, timeout: float = 10.0) -> Any:
    """GET (or POST ``data`` as JSON to) ``url``; return the decoded answer."""
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(  # noqa: S310 - always http://127.0.0.1
        url,
        body,
        method="GET" if data is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
        return json.loads(answer.read() or b"null")


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


def write_config(config_dir: Path, port: int) -> None:
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
    (config_dir / "custom_components").symlink_to(REPO / "custom_components")
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
    card = yaml.safe_load(DASHBOARD_CARD.read_text())
    dashboard = {
        "title": "SMS accounts",
        "views": [{"title": "Credit", "cards": [card]}],
    }
    (config_dir / DASHBOARD_FILE).write_text(yaml.safe_dump(dashboard, sort_keys=False))
