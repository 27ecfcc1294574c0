"""Wrong clocks never silence an account nor let a request through early.

Two ways a clock goes wrong, both tested:

* the wall clock steps (NTP, a user, a VM restored from a snapshot) while
  the monotonic clock runs on: the limiters run on the monotonic clock, so
  nothing changes — :class:`Clocks` steps only the wall clock, and the
  stand-in counts real seconds, as SMSC does;
* both clocks go back (as ``freezer`` moves them): a request time "from the
  future" counts as now, and no wait lasts longer than the provider's own
  longest (SMSC: a 30-minute block).
"""

from __future__ import annotations

from datetime import timedelta
import time

from freezegun.api import FrozenDateTimeFactory
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sms_credit.providers import limiter as limiter_module
from tests.conftest import setup_entry
from tests.standin import SMSC_PATH, StandinProvider
from tests.test_failures import issue

CREDIT = "sensor.smsc_demo_credit"
HOUR = 3600.0
YEAR = 365 * 86400.0
STEPS = [-HOUR, HOUR, -YEAR, YEAR]


class Clocks:
    """Stands in for the ``time`` module inside the limiters.

    ``time()`` is the (frozen) wall clock; ``monotonic()`` follows it except
    across :meth:`step_wall`, as a real machine's monotonic clock does.
    """

    def __init__(self) -> None:
        """Start with both clocks together."""
        self.offset = 0.0

    def time(self) -> float:
        """The wall clock."""
        return time.time()

    def monotonic(self) -> float:
        """Real seconds: not moved by a wall-clock step."""
        return time.time() + self.offset

    def step_wall(self, freezer: FrozenDateTimeFactory, seconds: float) -> None:
        """Step the wall clock alone."""
        freezer.tick(timedelta(seconds=seconds))
        self.offset -= seconds


@pytest.fixture
def clocks(
    monkeypatch: pytest.MonkeyPatch,
    freezer: FrozenDateTimeFactory,
    standin: StandinProvider,
) -> Clocks:
    """Separate wall and monotonic clocks; the stand-in counts real seconds."""
    clocks = Clocks()
    monkeypatch.setattr(limiter_module, "time", clocks)
    standin.clock = clocks.monotonic
    return clocks


def _both_clocks_step(
    standin: StandinProvider, freezer: FrozenDateTimeFactory, seconds: float
) -> None:
    """Step the wall and the monotonic clock; SMSC's own clock does not move."""
    real_seconds = standin.clock
    standin.clock = lambda: real_seconds() - seconds
    freezer.tick(timedelta(seconds=seconds))


async def _sent_only_after(
    entry: MockConfigEntry,
    standin: StandinProvider,
    freezer: FrozenDateTimeFactory,
    wait: float,
) -> None:
    """A refresh a second before ``wait`` sends nothing; one after it does."""
    sent = standin.requests[SMSC_PATH]
    freezer.tick(timedelta(seconds=wait - 1))
    await entry.runtime_data.async_refresh()
    assert standin.requests[SMSC_PATH] == sent
    freezer.tick(timedelta(seconds=2))
    await entry.runtime_data.async_refresh()
    assert standin.requests[SMSC_PATH] == sent + 1


async def _burst(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Set up, then refresh by hand until SMSC's 10 a minute are used."""
    await setup_entry(hass, entry)
    for _ in range(9):
        await entry.runtime_data.async_refresh()


@pytest.mark.parametrize("step", STEPS)
async def test_wall_clock_step_after_a_burst(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    clocks: Clocks,
    step: float,
) -> None:
    """Ten requests, the wall clock steps: no 11th within the real minute."""
    await _burst(hass, smsc_entry)
    assert standin.requests[SMSC_PATH] == 10
    clocks.step_wall(freezer, step)
    for _ in range(3):
        await smsc_entry.runtime_data.async_refresh()
    assert standin.requests[SMSC_PATH] == 10  # SMSC never saw an 11th (error 9)
    # The answer is as current as before the step: still shown.
    assert hass.states.get(CREDIT).state == "100.50"
    freezer.tick(timedelta(seconds=61))  # a real minute later
    await smsc_entry.runtime_data.async_refresh()
    assert standin.requests[SMSC_PATH] == 11
    assert hass.states.get(CREDIT).state == "100.50"


@pytest.mark.parametrize("step", STEPS)
async def test_wall_clock_step_during_a_block(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    clocks: Clocks,
    step: float,
) -> None:
    """Blocked, then the wall clock steps: the block ends when it really does.

    Nothing is sent during the real block, and the first check goes out
    right after it, not an hour (or a year) off.
    """
    await setup_entry(hass, smsc_entry)
    standin.block()
    await smsc_entry.runtime_data.async_refresh()
    assert issue(hass, "ip_blocked") is not None
    clocks.step_wall(freezer, step)
    await _sent_only_after(smsc_entry, standin, freezer, 1800)
    assert standin.during_block["127.0.0.1"] == 1  # the refresh that learnt it
    assert hass.states.get(CREDIT).state == "100.50"
    assert issue(hass, "ip_blocked") is None


@pytest.mark.parametrize("step", [-HOUR, -YEAR])
async def test_both_clocks_back_after_a_burst(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    step: float,
) -> None:
    """Even if the monotonic clock went back too, the full window stays full."""
    await _burst(hass, smsc_entry)
    _both_clocks_step(standin, freezer, step)
    await smsc_entry.runtime_data.async_refresh()
    assert standin.requests[SMSC_PATH] == 10
    freezer.tick(timedelta(seconds=61))
    await smsc_entry.runtime_data.async_refresh()
    assert standin.requests[SMSC_PATH] == 11


@pytest.mark.parametrize("step", [-HOUR, -YEAR])
async def test_both_clocks_back_during_a_block(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    step: float,
) -> None:
    """Even if both clocks went back, a block lasts at most 30 more minutes.

    That is SMSC's longest: the account is not silenced for an hour, or a
    year.
    """
    await setup_entry(hass, smsc_entry)
    standin.block()
    await smsc_entry.runtime_data.async_refresh()
    _both_clocks_step(standin, freezer, step)
    sent = standin.requests[SMSC_PATH]
    wait, _reason = smsc_entry.runtime_data.limiter.wait()
    assert wait == 1800
    freezer.tick(timedelta(seconds=1801))
    await smsc_entry.runtime_data.async_refresh()
    assert standin.requests[SMSC_PATH] == sent + 1
    assert standin.during_block["127.0.0.1"] == 1  # the refresh that learnt it
    assert hass.states.get(CREDIT).state == "100.50"


@pytest.mark.parametrize("step", STEPS)
async def test_wall_clock_step_during_a_rate_limit_pause(
    hass: HomeAssistant,
    standin: StandinProvider,
    smsc_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    clocks: Clocks,
    step: float,
) -> None:
    """SMSC error 9 pauses the login a minute, whatever the wall clock does."""
    await setup_entry(hass, smsc_entry)
    standin.respond_next(200, '{"error": "too many requests", "error_code": 9}')
    await smsc_entry.runtime_data.async_refresh()
    clocks.step_wall(freezer, step)
    await _sent_only_after(smsc_entry, standin, freezer, 60)
    assert hass.states.get(CREDIT).state == "100.50"
