"""Constants for the SMS Credit integration."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "sms_credit"
LOGGER: Final = logging.getLogger(__package__)

# Config entry data.
CONF_PROVIDER: Final = "provider"
CONF_AUTH_METHOD: Final = "auth_method"

# Options.
CONF_UPDATE_INTERVAL: Final = "update_interval"  # minutes
CONF_LOW_CREDIT_THRESHOLD: Final = "low_credit_threshold"  # account currency
DEFAULT_UPDATE_INTERVAL: Final = 30
MIN_UPDATE_INTERVAL: Final = 1
MAX_UPDATE_INTERVAL: Final = 1440
DEFAULT_LOW_CREDIT_THRESHOLD: Final = 10.0
MAX_LOW_CREDIT_THRESHOLD: Final = 1e12  # as large as any amount a provider reports

REQUEST_TIMEOUT: Final = 15.0  # seconds, per HTTP request to a provider

# Why a provider rejected an entry's credentials (translation keys, stored).
REJECTION_INVALID_AUTH: Final = "invalid_auth"
REJECTION_INVALID_AUTH_OR_IP: Final = "invalid_auth_or_ip"  # SMSC's error 2
REJECTIONS: Final = (REJECTION_INVALID_AUTH, REJECTION_INVALID_AUTH_OR_IP)

# Repair issues the integration raises (issue_id prefixes; one per entry).
ISSUE_IP_BLOCKED: Final = "ip_blocked"
ISSUE_IP_NOT_ALLOWED: Final = "ip_not_allowed"
ISSUE_RATE_LIMITED: Final = "rate_limited"
# Provider rate-limit refusals in a row (while we stay under the documented
# limit) before the user is told that something else shares the account.
RATE_LIMITED_ISSUE_AFTER: Final = 3

STORAGE_VERSION: Final = 3  # the sites' file; each entry's file is version 1
STORAGE_KEY: Final = f"{DOMAIN}.accounts"
STORAGE_SAVE_DELAY: Final = timedelta(seconds=1).total_seconds()
# A routine answer (the only request of its rate-limit window) is stored at
# most this late: losing it in a crash costs one extra request at the next
# start, far under any limit, and saves rewriting every account's state on
# every poll.
STORAGE_LAZY_SAVE_DELAY: Final = timedelta(seconds=60).total_seconds()
