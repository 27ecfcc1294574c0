"""The soak makes its own Home Assistant for each run (no ``hass`` fixture)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Each run enables custom integrations in its own Home Assistant."""
