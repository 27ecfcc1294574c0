"""The end-to-end fixtures' own checks, on log lines Home Assistant writes.

The fixture that starts Home Assistant fails a test when the log reports a
deprecated use. The lines below are in the exact shapes of Home Assistant
2026.11's frame and deprecation helpers; and a canary custom integration
that uses a deprecated API, loaded into a real Home Assistant on both
releases, proves that the check reads the log those releases write.
"""

from __future__ import annotations

from pathlib import Path
import time

import pytest

from tests.e2e.harness import HomeAssistantInstance, deprecation_reports

CLEAN = (
    "2026-12-02 10:03:50.121 WARNING (SyncWorker_0) [homeassistant.loader] We "
    "found a custom integration sms_credit which has not been tested by Home "
    "Assistant. This component might cause stability problems, be sure to "
    "disable it if you experience issues with Home Assistant\n"
    "2026-12-02 10:04:01.234 ERROR (MainThread) [custom_components.sms_credit] "
    "Authentication failed while fetching SMSC · demo data\n"
)
REPORTS = [
    # frame.report_usage, for a custom integration
    (
        "2026-12-02 10:03:52.001 WARNING (MainThread) [homeassistant.helpers.frame] "
        "Detected that custom integration 'sms_credit' calls async_forward_entry_setup "
        "at custom_components/sms_credit/__init__.py, line 70: await x. This will "
        "stop working in Home Assistant 2027.6, please create a bug report at "
        "https://github.com/sms-credit/ha-sms-credit/issues"
    ),
    # frame.report_usage, for code outside any integration
    (
        "2026-12-02 10:03:52.002 WARNING (MainThread) [homeassistant.helpers.frame] "
        "Detected code that uses a removed API. This will stop working in Home "
        "Assistant 2027.1, please report this issue"
    ),
    # deprecation helpers: a deprecated constant or function
    (
        "2026-12-02 10:03:52.003 WARNING (MainThread) [homeassistant.const] "
        "CONF_X was used from sms_credit, this is a deprecated constant which will "
        "be removed in HA Core 2027.5. Use Y instead, please report it to the author"
    ),
]


def test_a_clean_log_reports_nothing(tmp_path: Path) -> None:
    """The warnings every run has are not deprecation reports."""
    log = tmp_path / "home-assistant.log"
    log.write_text(CLEAN)
    assert deprecation_reports(log) == []
    assert deprecation_reports(tmp_path / "missing.log") == []


@pytest.mark.parametrize(
    "report", REPORTS, ids=["custom integration", "code", "deprecated constant"]
)
def test_each_kind_of_report_is_caught(tmp_path: Path, report: str) -> None:
    """A deprecation report among the usual lines is found."""
    log = tmp_path / "home-assistant.log"
    log.write_text(CLEAN + report + "\n")
    assert deprecation_reports(log) == [report]


@pytest.mark.sunset_canary
def test_a_real_report_is_caught(home_assistant: HomeAssistantInstance) -> None:
    """The canary's report, in the log of a running Home Assistant, is found."""
    deadline = time.monotonic() + 60
    while "sunset_canary" not in home_assistant.api("GET", "config")["components"]:
        assert time.monotonic() < deadline, "the canary was not set up"
        time.sleep(0.25)
    (report,) = deprecation_reports(home_assistant.log)
    assert "Detected that custom integration 'sunset_canary'" in report
    assert "This will stop working in Home Assistant 2099.1" in report
