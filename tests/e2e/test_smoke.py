"""A smoke test of a real Home Assistant, without a browser, on both releases.

Through Home Assistant's own REST and WebSocket APIs, as the frontend uses
them: an account is set up, refreshed, re-authenticated after its provider
starts refusing the password, and a repair issue comes and goes with the
provider's IP allow-list. The fixture fails the test on any deprecation
report in Home Assistant's log, so this is also how a new Home Assistant
release's warnings about this integration show up first.
"""

from __future__ import annotations

from collections.abc import Callable
import time
from typing import Any

from tests.e2e.harness import HomeAssistantInstance, Standin, demo_account_answers

CREDIT = "sensor.smsc_demo_credit"
AGILE_CREDIT = "sensor.agile_telecom_demo_credit"


def wait_for[T](what: str, probe: Callable[[], T], timeout: float = 30.0) -> T:
    """Poll ``probe`` until it returns something truthy; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not (found := probe()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)
    return found


def add_account(ha: HomeAssistantInstance, answers: list[dict[str, Any]]) -> str:
    """Walk the add flow with ``answers``; return the new entry's ID."""
    flow = ha.api("POST", "config/config_entries/flow", {"handler": "sms_credit"})
    for answer in answers:
        flow = ha.api("POST", f"config/config_entries/flow/{flow['flow_id']}", answer)
    assert flow["type"] == "create_entry", flow
    entry_id: str = flow["result"]["entry_id"]
    return entry_id


def entry_state(ha: HomeAssistantInstance, entry_id: str) -> str:
    """The config entry's state (``loaded``, ``setup_retry``, ...)."""
    entries = ha.api("GET", "config/config_entries/entry")
    (state,) = (e["state"] for e in entries if e["entry_id"] == entry_id)
    return str(state)


def state(ha: HomeAssistantInstance, entity_id: str) -> str:
    """An entity's state as Home Assistant shows it."""
    return str(ha.api("GET", f"states/{entity_id}")["state"])


def refresh(ha: HomeAssistantInstance, entity_id: str) -> None:
    """What the entity's "Update" action does."""
    ha.api("POST", "services/homeassistant/update_entity", {"entity_id": entity_id})


def our_issues(ha: HomeAssistantInstance) -> list[dict[str, Any]]:
    """The integration's repair issues, as Settings -> Repairs lists them."""
    issues = ha.ws({"type": "repairs/list_issues"})["issues"]
    return [i for i in issues if i["domain"] == "sms_credit"]


def test_set_up_refresh_reauth_and_repair(
    home_assistant: HomeAssistantInstance, standin_server: Standin
) -> None:
    """The integration's main paths work on this Home Assistant release."""
    ha, standin = home_assistant, standin_server
    assert ha.api("GET", "config")["version"] == ha.release.version

    # Set-up: the account is added, loaded, and shows its credit.
    entry_id = add_account(
        ha,
        demo_account_answers(
            "smsc", standin.url, threshold={"low_credit_threshold": 10}
        ),
    )
    assert entry_state(ha, entry_id) == "loaded"
    assert wait_for("the credit", lambda: state(ha, CREDIT) in {"100.5", "100.50"})

    # Refresh: the provider's new figure is shown.
    standin.update({"smsc": {"demo": {"balance": "42.00"}}})
    refresh(ha, CREDIT)
    wait_for("the new credit", lambda: state(ha, CREDIT) in {"42.0", "42.00"})

    # Re-authentication: the provider refuses the password; the user enters
    # the new one in the flow Home Assistant started.
    standin.update({"smsc": {"demo": {"password": "changed"}}})
    refresh(ha, CREDIT)

    def reauth_flow() -> str | None:
        flows = ha.ws({"type": "config_entries/flow/progress"})
        return next(
            (
                f["flow_id"]
                for f in flows
                if f["handler"] == "sms_credit" and f["context"]["source"] == "reauth"
            ),
            None,
        )

    flow_id = wait_for("the re-authentication flow", reauth_flow)
    assert state(ha, CREDIT) == "unavailable"
    done = ha.api(
        "POST", f"config/config_entries/flow/{flow_id}", {"password": "changed"}
    )
    assert done == done | {"type": "abort", "reason": "reauth_successful"}
    wait_for("the credit again", lambda: state(ha, CREDIT) in {"42.0", "42.00"})
    assert entry_state(ha, entry_id) == "loaded"

    # A repair issue: the provider's allow-list refuses Home Assistant's IP.
    add_account(ha, demo_account_answers("agile", standin.url))
    standin.update({"allowed_ips": ["192.0.2.1"]})
    refresh(ha, AGILE_CREDIT)
    (issue,) = wait_for("the repair issue", lambda: our_issues(ha))
    assert issue["issue_id"].startswith("ip_not_allowed")
    assert issue["is_fixable"]
    assert state(ha, AGILE_CREDIT) == "unavailable"

    # Allowed again at the provider; the user submits the repair: it is gone.
    standin.update({"allowed_ips": None})
    fix = ha.api(
        "POST",
        "repairs/issues/fix",
        {"handler": "sms_credit", "issue_id": issue["issue_id"]},
    )
    done = ha.api("POST", f"repairs/issues/fix/{fix['flow_id']}", {})
    assert done["type"] == "create_entry", done
    assert not our_issues(ha)
    assert state(ha, AGILE_CREDIT) not in {"unavailable", "unknown"}
