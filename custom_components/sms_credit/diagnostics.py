"""Diagnostics: what a bug report needs, with every secret redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .coordinator import SmsCreditConfigEntry
from .helpers import SECRET_KEYS


def _timestamp(value: float | None) -> str | None:
    if value is None or value <= 0:
        return None
    return dt_util.utc_from_timestamp(value).isoformat()


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SmsCreditConfigEntry,
) -> dict[str, Any]:
    """Return the diagnostics of a config entry."""
    coordinator = entry.runtime_data
    account = coordinator.account
    limiter = account.limiter
    balance = coordinator.data
    return {
        "entry": {
            "title": entry.title,
            "data": async_redact_data(dict(entry.data), SECRET_KEYS),
            "options": dict(entry.options),
        },
        "provider": {
            "key": coordinator.spec.key,
            "name": coordinator.spec.name,
            "host": coordinator.client.host,
        },
        "balance": None
        if balance is None
        else {
            "amount": str(balance.amount),
            "currency": balance.currency,
            "credit_limit": None
            if balance.credit_limit is None
            else str(balance.credit_limit),
        },
        "last_update_success": coordinator.last_update_success,
        "last_success": _timestamp(account.fetched_at),
        "last_error": account.last_error,
        "last_error_at": _timestamp(account.last_error_at),
        "auth_failed": account.auth_failed,
        "limiter": {
            "max_requests": limiter.rate_limit.max_requests,
            "period_seconds": limiter.rate_limit.period,
            "max_concurrent": limiter.rate_limit.max_concurrent,
            "requests_in_window": len(limiter.history),
            "in_flight": limiter.in_flight,
            "next_allowed_in_seconds": round(limiter.next_allowed_in(), 1),
            "paused_until": _timestamp(limiter.paused_until),
            "pause_reason": account.pause_reason,
        },
    }
