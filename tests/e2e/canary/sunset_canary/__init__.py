"""A custom integration that uses an API on its way out, on purpose.

tests/e2e/test_harness.py loads it into a real Home Assistant, on both
releases, to prove that the end-to-end fixture finds the deprecation reports
Home Assistant writes to its log (a check that only ever sees clean logs
could be checking nothing).
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.frame import report_usage
from homeassistant.helpers.typing import ConfigType

DOMAIN = "sunset_canary"


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Report a use of an API that "will stop working", as a real one would."""
    report_usage("uses the canary API", breaks_in_ha_version="2099.1")
    return True
