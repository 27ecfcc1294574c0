"""Diagnostics: what a bug report needs, with every secret redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .coordinator import SmsCreditConfigEntry
from .helpers import SECRET_KEYS
from .providers.limiter import monotonic, to_wall


def _timestamp(value: float) -> str:
    return dt_util.utc_from_timestamp(value).isoformat()


def _until(when: float) -> str | None:
    """A limiter time (monotonic) as a wall-clock time, while still ahead."""
    return _timestamp(to_wall(when)) if when > monotonic() else None


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SmsCreditConfigEntry,
) -> dict[str, Any]:
    """Return the diagnostics of a config entry."""
    coordinator = entry.runtime_data
    limiter = coordinator.limiter
    balance = coordinator.balance
    answer = coordinator.answer
    error = coordinator.last_exception
    wait, reason = limiter.wait()
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
        "fetched_at": None if answer is None else _timestamp(answer.fetched_at),
        "current_until": None if answer is None else _timestamp(answer.valid_until),
        "last_error": None
        if error is None
        else getattr(error, "translation_key", None) or type(error).__name__,
        "credentials_rejected": coordinator.record.rejected,
        "refusals_in_a_row": coordinator.record.refusals,
        "limiter": {
            "max_requests": limiter.rate_limit.max_requests,
            "period_seconds": limiter.rate_limit.period,
            "max_concurrent": limiter.rate_limit.max_concurrent,
            "requests_in_window": len(limiter.history),
            "in_flight": limiter.in_flight,
            "next_allowed_in_seconds": round(wait, 1),
            "waiting_for": None if reason is None else reason.value,
            "paused_until": _until(limiter.paused_until),
            "site_blocked_until": _until(limiter.site.blocked_until),
            "site_failed_logins": len(limiter.site.failed_logins),
        },
    }
