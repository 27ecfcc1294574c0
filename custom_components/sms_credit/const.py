"""Constants for the SMS Credit integration."""

from __future__ import annotations

import logging
from typing import Final

DOMAIN: Final = "sms_credit"
LOGGER: Final = logging.getLogger(__package__)

# Config entry data.
CONF_PROVIDER: Final = "provider"
CONF_AUTH_METHOD: Final = "auth_method"

# Options.
CONF_UPDATE_INTERVAL: Final = "update_interval"  # minutes: the longest between checks
CONF_LOW_CREDIT_THRESHOLD: Final = "low_credit_threshold"  # account currency
CONF_LOW_CREDIT_DAYS: Final = "low_credit_days"  # low when it runs out this soon
CONF_ADAPTIVE_POLLING: Final = "adaptive_polling"  # off: every interval
DEFAULT_UPDATE_INTERVAL: Final = 240
DEFAULT_LOW_CREDIT_DAYS: Final = 7
MAX_LOW_CREDIT_DAYS: Final = 365
MIN_UPDATE_INTERVAL: Final = 1
MAX_UPDATE_INTERVAL: Final = 1440
DEFAULT_LOW_CREDIT_THRESHOLD: Final = 10.0
MAX_LOW_CREDIT_THRESHOLD: Final = 1e12  # as large as any amount a provider reports

# Why a provider rejected an entry's credentials (translation keys, stored).
REJECTION_INVALID_AUTH: Final = "invalid_auth"
REJECTION_INVALID_AUTH_OR_IP: Final = "invalid_auth_or_ip"  # SMSC's error 2
REJECTION_AUTH_OR_IP: Final = "auth_or_ip"  # the same, where no block follows
REJECTION_ACCESS_DENIED: Final = "access_denied"  # a key without the permission
REJECTIONS: Final = (
    REJECTION_INVALID_AUTH,
    REJECTION_INVALID_AUTH_OR_IP,
    REJECTION_AUTH_OR_IP,
    REJECTION_ACCESS_DENIED,
)

# Provider rate-limit refusals in a row (while we stay under the documented
# limit) before the user is told that something else shares the account.
RATE_LIMITED_ISSUE_AFTER: Final = 3

STORAGE_KEY: Final = f"{DOMAIN}.accounts"  # the sites' file
