"""Fixtures of the end-to-end test: a real Home Assistant, the stand-in, Chromium.

Home Assistant and the stand-in run as subprocesses on free loopback ports,
so nothing here runs on the test plugin's event loop, clock or sockets (the
test itself only talks to 127.0.0.1). Home Assistant is the one this
environment has, started with ``--skip-pip``: it never installs anything,
and needs no internet.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
import os
from pathlib import Path
import subprocess
import sys

from playwright.sync_api import BrowserContext, Page, expect, sync_playwright
import pytest

from tests.e2e.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    OWNER,
    REPO,
    HomeAssistantInstance,
    Standin,
    free_port,
    http_json,
    stop,
    tail,
    wait_until_serving,
    write_config,
)

CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.fixture
def auto_enable_custom_integrations() -> None:
    """No in-process Home Assistant here: the one under test is a subprocess."""


@pytest.fixture
def standin_server(tmp_path: Path) -> Iterator[Standin]:
    """Start ``python -m tests.standin`` (what scripts/standin runs)."""
    port = free_port()
    log = tmp_path / "standin.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own module
            [sys.executable, "-m", "tests.standin", "--port", str(port)],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{url}/_standin/state", process, log, "the stand-in")
        yield Standin(url)
    finally:
        stop(process)


@pytest.fixture
def home_assistant(tmp_path: Path) -> Iterator[HomeAssistantInstance]:
    """Start Home Assistant on a free loopback port and create its owner."""
    port = free_port()
    config_dir = tmp_path / "config"
    write_config(config_dir, port)
    log = tmp_path / "hass.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - the environment's own hass
            [
                sys.executable,
                "-m",
                "homeassistant",
                "--config",
                str(config_dir),
                "--skip-pip",
            ],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{url}/api/onboarding", process, log, "Home Assistant")
        http_json(
            f"{url}/api/onboarding/users",
            {"client_id": f"{url}/", "language": "en", **OWNER},
        )
        yield HomeAssistantInstance(url, config_dir, config_dir / "home-assistant.log")
    finally:
        stop(process)
        # Shown with the test's output when it fails.
        log = config_dir / "home-assistant.log"
        print(f"--- warnings and errors in {log}:")  # noqa: T201
        print(tail(log, problems_only=True))  # noqa: T201


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    """Debian's Chromium, headless, with a fresh profile; skip if there is none."""
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: scripts/setup installs Debian's "
            "chromium package, or set SMS_CREDIT_CHROMIUM to a Chromium binary"
        )
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path / "chromium-profile",
            executable_path=CHROMIUM,
            headless=True,
            chromium_sandbox=False,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 800},
            locale="en-US",
            timezone_id="Europe/Rome",
        )
        context.set_default_timeout(30_000)
        expect.set_options(timeout=30_000)
        try:
            yield context
        finally:
            context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's report on the test, for the page fixture."""
    report = yield
    if call.when == "call":
        item.stash[CALL_REPORT] = report
    return report


@pytest.fixture
def page(
    browser: BrowserContext, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Page]:
    """The browser's tab; a screenshot of it is kept when the test fails."""
    tab = browser.pages[0] if browser.pages else browser.new_page()
    yield tab
    report = request.node.stash.get(CALL_REPORT, None)
    if report is not None and report.failed:
        shot = tmp_path / "failure.png"
        tab.screenshot(path=shot)
        print(f"--- the page when the test failed: {shot} ({tab.url})")  # noqa: T201
