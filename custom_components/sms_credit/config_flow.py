"""Config flow for SMS Credit."""

from __future__ import annotations

from homeassistant.config_entries import ConfigFlow

from .const import DOMAIN


class SmsCreditConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an SMS-gateway account."""

    VERSION = 1
