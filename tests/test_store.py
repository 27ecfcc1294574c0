"""The stored limits: migrated from versions 1 and 2, unreadable parts left out.

Since version 3 the sites' facts have one small file, and each entry's
record and its login's window the entry's own file; version 2 held them all
in one file, which each entry reads once, at its first set-up.
"""

from __future__ import annotations

from datetime import timedelta
import logging
import time
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
)

from custom_components.sms_credit.const import CONF_UPDATE_INTERVAL, DOMAIN, STORAGE_KEY
from custom_components.sms_credit.helpers import same_account
from custom_components.sms_credit.providers import PROVIDERS
from custom_components.sms_credit.store import DATA_STORE, async_get_store, entry_file
from tests.conftest import ENTRY_ID, entry_data, setup_entry, stored, tick
from tests.standin import SMSC_PATH, StandinProvider

CREDIT = "sensor.smsc_demo_credit"


async def test_version_1_keeps_its_pending_block(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An IP block stored by version 1 still holds; its old balance is not shown.

    What version 1 holds that is invalid is left out, and said once; one bad
    key costs that key alone.
    """
    now = time.time()
    hass_storage[STORAGE_KEY] = stored(
        1,
        {
            f"smsc|{standin.url}|demo": {
                "history": [now - 10, "garbage"],
                "paused_until": now + 600,
                "pause_reason": "ip_blocked",
                "balance": {"amount": "5", "currency": "RUB", "credit_limit": None},
                "fetched_at": now - 10,
                "auth_failed": False,
            },
            f"smsc|{standin.url}|other": {
                "history": [now - 5],
                "paused_until": now + 30,
                "pause_reason": "rate_limited",
            },
            "unknown|https://x|y": {"history": [now]},
            "agile|https://secure.agiletelecom.com|z": "not a record",
            "smsc|http://[x|y": {"paused_until": now + 600},
            "smsc|https://smsc.ru|": {"paused_until": now + 600},
        },
    )
    await setup_entry(hass, smsc_entry)
    warnings = our_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert "Left out 5 invalid value(s)" in warnings[0]
    assert smsc_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(CREDIT).state == "unavailable"
    assert not standin.seen
    # Nothing is sent before the block ends; the check goes out right after.
    await tick(hass, freezer, 599)
    assert not standin.seen
    await tick(hass, freezer, 3)
    assert standin.requests[SMSC_PATH] == 1
    assert hass.states.get(CREDIT).state == "100.50"
    await tick(hass, freezer, 2)
    assert hass_storage[STORAGE_KEY]["version"] == 3


async def test_unreadable_parts_are_left_out(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Wrong types anywhere: the entry sets up normally and asks the provider."""
    now = time.time()
    hass_storage[STORAGE_KEY] = stored(
        2,
        {
            "sites": {
                "smsc|127.0.0.1": "blocked",
                "nobody|x": {"blocked_until": now + 999},
                "agile|127.0.0.1": {"blocked_until": "soon", "failed_logins": 3},
            },
            "logins": {
                "smsc|127.0.0.1|demo": {"history": "many", "paused_until": None},
                "nobody|x|y": {"history": [now]},
                "agile|127.0.0.1|demo": [],
            },
            "entries": {
                ENTRY_ID: {
                    "answer": {"amount": "1", "currency": "RUB", "fetched_at": "x"},
                    "rejected": "yes",
                    "refusals": "two",
                },
                "other": "nothing",
            },
        },
    )
    await setup_entry(hass, smsc_entry)
    assert smsc_entry.state is ConfigEntryState.LOADED
    assert standin.requests[SMSC_PATH] == 1
    assert smsc_entry.runtime_data.record.refusals == 0


async def test_not_a_mapping_at_all(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Storage that holds no mapping is ignored."""
    hass_storage[STORAGE_KEY] = stored(2, ["not", "a", "mapping"])
    await setup_entry(hass, smsc_entry)
    assert smsc_entry.state is ConfigEntryState.LOADED


async def test_a_new_interval_moves_the_next_poll(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """From 30 to 5 minutes: the next poll is 5 minutes after the last one."""
    await setup_entry(hass, smsc_entry)
    await tick(hass, freezer, 60)
    hass.config_entries.async_update_entry(
        smsc_entry, options={**smsc_entry.options, CONF_UPDATE_INTERVAL: 5}
    )
    await hass.async_block_till_done()
    assert standin.requests[SMSC_PATH] == 1
    await tick(hass, freezer, 4 * 60 - 5)
    assert standin.requests[SMSC_PATH] == 1
    await tick(hass, freezer, 10)
    assert standin.requests[SMSC_PATH] == 2
    await tick(hass, freezer, 5 * 60 + 1)
    assert standin.requests[SMSC_PATH] == 3
    assert smsc_entry.runtime_data.update_interval == timedelta(minutes=5)
    assert standin.requests[SMSC_PATH] == 3


async def test_newer_entry_versions_are_refused(
    hass: HomeAssistant, standin: StandinProvider
) -> None:
    """An entry made by a newer release (version 2) is not set up."""
    entry = MockConfigEntry(
        domain=DOMAIN, title="SMSC · demo", data=entry_data(standin), version=2
    )
    await setup_entry(hass, entry)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR
    assert not standin.seen


def test_same_account_needs_the_same_provider(standin: StandinProvider) -> None:
    """The same login at two providers is two accounts."""
    smsc = entry_data(standin)
    agile = entry_data(standin, "agile")
    assert same_account(smsc, dict(smsc))
    assert not same_account(smsc, agile)


# A valid version-2 document: a pending block with one failed login, one
# login's window and pause, and an entry's current answer, rejection,
# refusals and low period. Each case below corrupts one part; only that part
# may go.
SITE = "smsc|127.0.0.1"
LOGIN = "smsc|127.0.0.1|demo"


def valid_document(now: float) -> dict[str, Any]:
    """Everything version 2 can hold, all valid, as of ``now``."""
    return {
        "sites": {SITE: {"blocked_until": now + 600, "failed_logins": [now - 60]}},
        "logins": {LOGIN: {"history": [now - 30], "paused_until": now + 120}},
        "entries": {
            ENTRY_ID: {
                "answer": {
                    "amount": "5.25",
                    "currency": "RUB",
                    "credit_limit": "0",
                    "fetched_at": now - 60,
                },
                "rejected": "invalid_auth_or_ip",
                "refusals": 2,
                "low_since": now - 3600,
                "spending": {
                    "unit": "RUB",
                    "amount": "5.25",
                    "points": [[now - 86400, "0", "0"], [now - 60, "1.5", "0.5"]],
                    "top_up": [now - 7200, "3"],
                },
            }
        },
    }


NAN, INF = float("nan"), float("inf")
BAD_NUMBERS = [NAN, INF, -INF, -5, 1e300, "soon", True, [], {}]
# (path to corrupt, bad values, path of what goes with it)
CORRUPTIONS: list[tuple[tuple[str, ...], list[Any], tuple[str, ...]]] = [
    (("sites", SITE, "blocked_until"), BAD_NUMBERS, ("sites", SITE, "blocked_until")),
    (("sites", SITE, "failed_logins"), ["3", 3, {}], ("sites", SITE, "failed_logins")),
    (
        ("sites", SITE, "failed_logins"),
        [[NAN], ["x"], [None], [True]],
        ("sites", SITE, "failed_logins"),
    ),
    (("sites", SITE), ["blocked", 1, [], None], ("sites", SITE)),
    (("logins", LOGIN, "history"), ["many", [INF], [-1]], ("logins", LOGIN, "history")),
    (
        ("logins", LOGIN, "paused_until"),
        BAD_NUMBERS,
        ("logins", LOGIN, "paused_until"),
    ),
    (("logins", LOGIN), ["x", [], 0], ("logins", LOGIN)),
    (
        ("entries", ENTRY_ID, "answer", "amount"),
        ["x", "NaN", "1e999", None, 5, NAN, "1_0"],
        ("entries", ENTRY_ID, "answer"),
    ),
    (
        ("entries", ENTRY_ID, "answer", "currency"),
        ["EURO", "", 643, None],
        ("entries", ENTRY_ID, "answer"),
    ),
    (
        ("entries", ENTRY_ID, "answer", "credit_limit"),
        ["lots", INF, 0],
        ("entries", ENTRY_ID, "answer"),
    ),
    (
        ("entries", ENTRY_ID, "answer", "fetched_at"),
        BAD_NUMBERS,
        ("entries", ENTRY_ID, "answer"),
    ),
    (
        ("entries", ENTRY_ID, "answer"),
        ["5 RUB", [], 5],
        ("entries", ENTRY_ID, "answer"),
    ),
    (
        ("entries", ENTRY_ID, "rejected"),
        ["yes", "true", 1, 0, NAN, "wrong_password"],
        ("entries", ENTRY_ID, "rejected"),
    ),
    (
        ("entries", ENTRY_ID, "refusals"),
        ["two", -1, True, 2.5, 10**9, NAN],
        ("entries", ENTRY_ID, "refusals"),
    ),
    (
        ("entries", ENTRY_ID, "low_since"),
        BAD_NUMBERS,
        ("entries", ENTRY_ID, "low_since"),
    ),
    (
        ("entries", ENTRY_ID, "spending", "unit"),
        [None, 5, "x" * 41, "a\nb"],
        ("entries", ENTRY_ID, "spending"),
    ),
    (
        ("entries", ENTRY_ID, "spending", "amount"),
        ["x", None, NAN],
        ("entries", ENTRY_ID, "spending"),
    ),
    (
        ("entries", ENTRY_ID, "spending", "points"),
        [
            [],
            "x",
            [[1e9, "1"]],
            [[2e9, "1", "0"], [1e9, "2", "0"]],  # back in time
            [[1e9, "2", "0"], [2e9, "1", "0"]],  # spent less than before
            [[1e9, "-1", "0"]],
            [[NAN, "0", "0"]],
            [[1e9, "0", "0"]] * 59,
        ],
        ("entries", ENTRY_ID, "spending"),
    ),
    (
        ("entries", ENTRY_ID, "spending", "top_up"),
        ["x", [1e9], [1e9, "x"], [NAN, "1"]],
        ("entries", ENTRY_ID, "spending"),
    ),
    (
        ("entries", ENTRY_ID, "spending"),
        ["x", 5, []],
        ("entries", ENTRY_ID, "spending"),
    ),
    (("entries", ENTRY_ID), ["nothing", [], 7], ("entries", ENTRY_ID)),
    (("sites",), ["x", [SITE], 1], ("sites", SITE)),
    (("logins",), ["x", [LOGIN], 1], ("logins", LOGIN)),
    (("entries",), ["x", [ENTRY_ID], 1], ("entries", ENTRY_ID)),
]
CASES = [
    pytest.param(path, value, gone, id=f"{'.'.join(path)}={value!r}"[:60])
    for path, values, gone in CORRUPTIONS
    for value in values
]


def our_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the integration (not Home Assistant, nor its test mocks) warned."""
    return [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING
        and record.name.startswith("custom_components.sms_credit")
    ]


async def saved_after_load(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    file: dict[str, Any],
) -> dict[str, Any]:
    """What the store writes right after loading ``file`` and ``entry``'s record.

    In version 2's shape: the sites' file, and the entry's own file split
    into its login's window and its record.
    """
    hass_storage[STORAGE_KEY] = file
    entry.add_to_hass(hass)
    store = await async_get_store(hass)
    record = await store.async_entry(
        entry.entry_id, PROVIDERS["smsc"], entry.data["host"], "demo"
    )
    written = store._entry_data(record)
    assert written.pop("login") == LOGIN
    login = {
        key: written.pop(key) for key in ("history", "paused_until") if key in written
    }
    saved: dict[str, Any] = store._sites_data()
    if login:
        saved["logins"] = {LOGIN: login}
    if written:
        saved["entries"] = {entry.entry_id: written}
    return saved


def _without_empty(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` without the parts a corruption left empty."""
    return {key: value for key, value in document.items() if value or key == "sites"}


def _set(document: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        document = document[key]
    document[path[-1]] = value


def _drop(document: dict[str, Any], path: tuple[str, ...]) -> None:
    for key in path[:-1]:
        document = document[key]
    del document[path[-1]]


@pytest.mark.parametrize(("path", "value", "gone"), CASES)
async def test_each_corrupt_value_is_dropped_with_one_warning(
    hass: HomeAssistant,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
    path: tuple[str, ...],
    value: Any,
    gone: tuple[str, ...],
) -> None:
    """A corrupt value costs that value alone, and is told once."""
    now = time.time()
    document = valid_document(now)
    _set(document, path, value)
    saved = await saved_after_load(hass, smsc_entry, hass_storage, stored(2, document))

    expected = valid_document(now)
    _drop(expected, gone)
    assert saved == _without_empty(expected)
    warnings = our_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert "Left out" in warnings[0]
    assert "stored limits (.storage/sms_credit." in warnings[0]


async def test_a_valid_document_loads_silently(
    hass: HomeAssistant,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The control case: nothing is lost, nothing is said."""
    now = time.time()
    file = stored(2, valid_document(now))
    saved = await saved_after_load(hass, smsc_entry, hass_storage, file)
    assert saved == valid_document(now)
    assert not our_warnings(caplog)


@pytest.mark.parametrize(
    ("stored_value", "read"),
    [
        (True, "invalid_auth"),
        (False, None),
        ("invalid_auth_or_ip", "invalid_auth_or_ip"),
    ],
)
async def test_rejection_kept_with_its_cause(
    hass: HomeAssistant,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    stored_value: Any,
    read: str | None,
) -> None:
    """0.1 stored ``true`` without the cause; it reads as a plain rejection."""
    document = {"entries": {ENTRY_ID: {"rejected": stored_value}}}
    smsc_entry.add_to_hass(hass)
    hass_storage[STORAGE_KEY] = stored(2, document)
    store = await async_get_store(hass)
    spec = PROVIDERS["smsc"]
    record = await store.async_entry(ENTRY_ID, spec, smsc_entry.data["host"], "demo")
    assert record.rejected == read


async def test_corrupt_storage_still_sets_the_entry_up(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
) -> None:
    """Block, pause and rejection all corrupt: the entry sets up normally.

    It asks the provider, as it would with nothing stored.
    """
    document = valid_document(time.time())
    _set(document, ("sites", SITE, "blocked_until"), NAN)
    _set(document, ("logins", LOGIN, "paused_until"), "soon")
    _set(document, ("entries", ENTRY_ID, "rejected"), "false")
    hass_storage[STORAGE_KEY] = stored(2, document)
    await setup_entry(hass, smsc_entry)
    assert smsc_entry.state is ConfigEntryState.LOADED
    assert standin.requests[SMSC_PATH] == 1
    assert hass.states.get(CREDIT).state == "100.50"


@pytest.mark.parametrize("ahead", [3600.0, 365 * 86400.0])
async def test_stored_waits_from_a_clock_ahead_are_cut(
    hass: HomeAssistant,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    ahead: float,
) -> None:
    """Written by a machine whose clock was ahead: the waits are cut.

    No wait outlasts the longest the provider imposes (SMSC: its 30-minute
    block, for a pause too), and request times "from the future" count as
    now.
    """
    now = time.time()
    file = stored(
        2,
        {
            "sites": {SITE: {"blocked_until": now + ahead}},
            "logins": {
                LOGIN: {"history": [now + ahead] * 3, "paused_until": now + ahead}
            },
        },
    )
    saved = await saved_after_load(hass, smsc_entry, hass_storage, file)
    assert saved["sites"][SITE]["blocked_until"] == now + min(ahead, 1800)
    assert saved["logins"][LOGIN]["paused_until"] == now + 1800
    assert saved["logins"][LOGIN]["history"] == [now] * 3


@pytest.mark.parametrize(
    "file",
    [
        {"version": 0, "minor_version": 1, "key": STORAGE_KEY, "data": {}},
        {"version": -3, "key": STORAGE_KEY, "data": {"sites": {}}},
        {"version": "2", "key": STORAGE_KEY, "data": {}},
        {"version": None, "key": STORAGE_KEY, "data": {}},
        {"key": STORAGE_KEY, "data": {}},
        {"version": 1, "key": STORAGE_KEY},
        ["not", "a", "file"],
    ],
    ids=["v0", "negative", "text", "null", "no version", "no data", "a list"],
)
async def test_unknown_versions_are_ignored_with_one_warning(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    file: Any,
) -> None:
    """No release wrote it: it is ignored, said once, and the entry sets up."""
    hass_storage[STORAGE_KEY] = file
    await setup_entry(hass, smsc_entry)
    assert smsc_entry.state is ConfigEntryState.LOADED
    assert standin.requests[SMSC_PATH] == 1
    warnings = our_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert "unreadable and were ignored" in warnings[0]


async def test_a_newer_version_says_so_and_keeps_what_it_understands(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """After a downgrade the user is told the file came from a newer release.

    A block it holds still holds.
    """
    now = time.time()
    document = valid_document(now)
    document["entries"][ENTRY_ID]["rejected"] = False
    document["something_new"] = {"x": 1}
    hass_storage[STORAGE_KEY] = stored(4, document)
    await setup_entry(hass, smsc_entry)
    warnings = our_warnings(caplog)
    assert any("newer release of SMS Credit" in w for w in warnings), warnings
    assert any("storage version 4.1" in w for w in warnings), warnings
    assert not standin.seen  # the block it held still holds
    assert smsc_entry.runtime_data.limiter.site.wait()[0] == 600


async def test_a_newer_minor_version_is_read_silently(
    hass: HomeAssistant,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """2.5 is compatible with 2.1 by definition: all of it is kept."""
    now = time.time()
    file = stored(2, valid_document(now))
    file["minor_version"] = 5
    saved = await saved_after_load(hass, smsc_entry, hass_storage, file)
    assert saved == valid_document(now)
    assert not our_warnings(caplog)


async def test_version_2_moves_into_version_3_and_the_entrys_file(
    hass: HomeAssistant,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """Version 2's one file becomes the sites' file and the entries' files.

    Nothing is lost on the way, and each file reads back as it was written.
    """
    now = time.time()
    hass_storage[STORAGE_KEY] = stored(2, valid_document(now))
    smsc_entry.add_to_hass(hass)
    store = await async_get_store(hass)
    spec = PROVIDERS["smsc"]
    record = await store.async_entry(ENTRY_ID, spec, smsc_entry.data["host"], "demo")
    store.async_save_entry(record)
    store.async_save_sites()
    await tick(hass, freezer, 0)  # no time passes: nothing expires
    freezer.tick(timedelta(seconds=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    shared = hass_storage[STORAGE_KEY]
    assert (shared["version"], shared["minor_version"]) == (3, 1)
    assert shared["data"] == {"sites": valid_document(now)["sites"]}
    own = hass_storage[entry_file(ENTRY_ID)]
    assert own["version"] == 1
    document = valid_document(now)
    assert own["data"] == {
        "entries": {
            ENTRY_ID: {
                "login": LOGIN,
                **document["logins"][LOGIN],
                **document["entries"][ENTRY_ID],
            }
        }
    }
    # A restart reads both back unchanged.
    hass.data.pop(DATA_STORE)
    saved = await saved_after_load(hass, smsc_entry, hass_storage, shared)
    assert saved == document


async def test_restart_during_a_rate_limit_pause_checks_when_it_ends(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    freezer: FrozenDateTimeFactory,
) -> None:
    """A restart 5 minutes into a 10-minute pause: set up, and check at its end.

    Not minutes later under Home Assistant's set-up retry back-off.
    """
    hass_storage[STORAGE_KEY] = stored(
        2, {"logins": {LOGIN: {"paused_until": time.time() + 300}}}
    )
    await setup_entry(hass, smsc_entry)
    assert smsc_entry.state is ConfigEntryState.LOADED
    assert hass.states.get(CREDIT).state == "unavailable"
    await tick(hass, freezer, 299)
    assert not standin.seen
    await tick(hass, freezer, 3)
    assert standin.requests[SMSC_PATH] == 1
    assert hass.states.get(CREDIT).state == "100.50"


@pytest.mark.parametrize(
    "file",
    [
        {"version": 2, "minor_version": 1, "key": entry_file(ENTRY_ID), "data": {}},
        {"version": "1", "key": entry_file(ENTRY_ID), "data": {}},
        ["not", "a", "file"],
    ],
    ids=["a newer version", "text", "a list"],
)
async def test_an_unreadable_entry_file_is_ignored_with_one_warning(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    hass_storage: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
    file: Any,
) -> None:
    """The entry's own file unreadable: said once; the entry asks the provider."""
    hass_storage[entry_file(ENTRY_ID)] = file
    await setup_entry(hass, smsc_entry)
    assert smsc_entry.state is ConfigEntryState.LOADED
    assert standin.requests[SMSC_PATH] == 1
    warnings = our_warnings(caplog)
    assert len(warnings) == 1, warnings
    assert f"{entry_file(ENTRY_ID)}) are unreadable" in warnings[0]
