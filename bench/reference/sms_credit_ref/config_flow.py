"""The reference's config flow: only what Home Assistant needs to load entries.

The benchmark writes the entries itself; nothing is asked in the UI.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigFlow

from . import DOMAIN


class RefConfigFlow(ConfigFlow, domain=DOMAIN):
    """Config entries of the reference (created by the benchmark)."""

    VERSION = 1
