"""Constants for the SMS Credit integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "sms_credit"
LOGGER: Final = logging.getLogger(__package__)
