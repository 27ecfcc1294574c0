"""Fixtures of the end-to-end test: a real Home Assistant, the stand-in, Chromium.

Home Assistant and the stand-in run as subprocesses on free loopback ports,
so nothing here runs on the test plugin's event loop, clock or sockets (the
test itself only talks to 127.0.0.1). Every test that starts Home Assistant
runs twice: on the release the unit tests use (this environment's) and on the
newest release (its own environment, which scripts/test sets up), each
started with ``--skip-pip``: it never installs anything, and needs no
internet. Any deprecation report in its log fails the test.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
import gc
import os
from pathlib import Path
import subprocess
import sys
import threading

from playwright.sync_api import BrowserContext, Page, expect, sync_playwright
import pytest

from tests.e2e.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    OWNER,
    REPO,
    HomeAssistantInstance,
    Release,
    Standin,
    access_token,
    deprecation_reports,
    free_port,
    http_json,
    releases,
    stop,
    tail,
    tests_release,
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


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test that starts Home Assistant on both releases."""
    if "ha_release" not in metafunc.fixturenames:
        return
    try:
        found: list[Release | str] = list(releases())
    except LookupError as err:
        found = [tests_release(), f"newest release not set up: {err}"]
    metafunc.parametrize(
        "ha_release",
        found,
        ids=[r.version if isinstance(r, Release) else "newest" for r in found],
        indirect=True,
        scope="session",
    )


@pytest.fixture(scope="session")
def ha_release(request: pytest.FixtureRequest) -> Release:
    """The Home Assistant release under test (parametrised above)."""
    release: Release | str = request.param
    if isinstance(release, str):
        # CI must run both; a developer's plain pytest run may lack one.
        if os.environ.get("CI"):
            pytest.fail(release)
        pytest.skip(release)
    return release


@pytest.fixture
def home_assistant(
    tmp_path: Path, ha_release: Release, request: pytest.FixtureRequest
) -> Iterator[HomeAssistantInstance]:
    """Start Home Assistant on a free loopback port and create its owner.

    Fails the test when Home Assistant's log reports a deprecated use; with
    the ``sunset_canary`` mark, the canary integration is loaded and its
    report is the only one allowed.
    """
    canary = request.node.get_closest_marker("sunset_canary") is not None
    port = free_port()
    config_dir = tmp_path / "config"
    write_config(config_dir, port, canary=canary)
    log = tmp_path / "hass.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - the environment's own hass
            [
                ha_release.python,
                "-m",
                "homeassistant",
                "--config",
                str(config_dir),
                "--skip-pip",
            ],
            # Not the checkout: its custom_components/ would shadow the
            # configuration's, which is how a real installation finds them.
            cwd=config_dir,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(f"{url}/api/onboarding", process, log, "Home Assistant")
        owner = http_json(
            f"{url}/api/onboarding/users",
            {"client_id": f"{url}/", "language": "en", **OWNER},
        )
        yield HomeAssistantInstance(
            url,
            config_dir,
            config_dir / "home-assistant.log",
            ha_release,
            access_token(url, owner["auth_code"]),
        )
    finally:
        stop(process)
        # Shown with the test's output when it fails.
        log = config_dir / "home-assistant.log"
        print(f"--- warnings and errors in {log}:")  # noqa: T201
        print(tail(log, problems_only=True))  # noqa: T201
    reports = [
        line
        for line in deprecation_reports(log)
        if not (canary and "'sunset_canary'" in line)
    ]
    assert not reports, (
        f"Home Assistant {ha_release.version} reported deprecated uses:\n"
        + "\n".join(reports)
    )


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    """Debian's Chromium, headless, with a fresh profile; skip if there is none."""
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        missing = (
            f"Chromium not found at {CHROMIUM}: scripts/setup installs Debian's "
            "chromium package, or set SMS_CREDIT_CHROMIUM to a Chromium binary"
        )
        # CI must run the browser test; a developer's machine may lack one.
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    threads_before = set(threading.enumerate())
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
    # Playwright closes its own event loop without shutting down the loop's
    # executor (it writes screenshots there): its idle worker ends only when
    # the loop is collected. Collect and wait, so that the test plugin's
    # check for lingering threads sees none.
    del context, playwright
    gc.collect()
    for thread in set(threading.enumerate()) - threads_before:
        if thread.name.startswith("asyncio_"):
            thread.join(timeout=10)


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
