"""Helpers shared by the provider library tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent.parent / "fixtures"
START = 1_800_000_000.0


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: float = START) -> None:
        """Start at ``now``."""
        self.now = now

    def __call__(self) -> float:
        """Return the current time."""
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the time forward."""
        self.now += seconds


def fixture_bytes(provider: str, name: str) -> bytes:
    """Return a documented sample body from ``tests/fixtures/<provider>/``."""
    return (FIXTURES / provider / name).read_bytes()
