"""Diagnostics: what a bug report needs, with every secret redacted.

They work for every entry, also one whose set-up failed or is retrying:
the provider's limits come from the store, which outlives set-up; only
the balance and the last check's outcome need a running coordinator.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import CONF_AUTH_METHOD, CONF_PROVIDER
from .coordinator import SmsCreditConfigEntry
from .forecast import Spending
from .helpers import account_of, async_get_spec, secret_keys
from .providers import RateLimiter
from .providers.limiter import to_wall, wall_until
from .store import async_get_store, balance_data, spending_data


def _timestamp(value: float | None) -> str | None:
    """A wall-clock time as text."""
    return None if value is None else dt_util.utc_from_timestamp(value).isoformat()


def _limiter(limiter: RateLimiter) -> dict[str, Any]:
    wait, reason = limiter.wait()
    return {
        "max_requests": limiter.rate_limit.max_requests,
        "period_seconds": limiter.rate_limit.period,
        "max_concurrent": limiter.rate_limit.max_concurrent,
        "requests_in_window": len(limiter.history),
        "in_flight": limiter.in_flight,
        "next_allowed_in_seconds": round(wait, 1),
        "waiting_for": None if reason is None else reason.value,
        # Limiter times (monotonic) as wall-clock times, while still ahead.
        "paused_until": _timestamp(wall_until(limiter.paused_until)),
        "site_blocked_until": _timestamp(wall_until(limiter.site.blocked_until)),
        "site_failed_logins": len(limiter.site.failed_logins),
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,
    entry: SmsCreditConfigEntry,
) -> dict[str, Any]:
    """Return the diagnostics of a config entry, whatever its state."""
    try:
        spec = await async_get_spec(hass, entry.data.get(CONF_PROVIDER))
        secret = secret_keys(spec)
    except ValueError:  # a provider of a newer release: all but its name is hidden
        secret = frozenset(entry.data) - {CONF_PROVIDER, CONF_HOST, CONF_AUTH_METHOD}
    # What the running coordinator knows; nothing while it does not run.
    loaded = entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data if loaded else None
    balance = coordinator.data if coordinator else None
    fetched_at = coordinator.fetched_at if coordinator else None
    error = coordinator.last_exception if coordinator else None
    diagnostics: dict[str, Any] = {
        "entry": {
            "title": entry.title,
            "state": entry.state.value,
            "reason": entry.reason,
            "data": async_redact_data(dict(entry.data), secret),
            "options": dict(entry.options),
        },
        "balance": None if balance is None else balance_data(balance),
        "last_update_success": bool(coordinator and coordinator.last_update_success),
        "fetched_at": None if fetched_at is None else _timestamp(to_wall(fetched_at)),
        "last_error": None
        if error is None
        else getattr(error, "translation_key", None) or type(error).__name__,
    }
    try:
        spec, host, login = account_of(entry.data)
    except KeyError, ValueError:  # damaged, or a provider of a newer release
        return diagnostics
    store = await async_get_store(hass)
    record = await store.async_entry(entry.entry_id, spec, host, login)
    return {
        **diagnostics,
        "provider": {"key": spec.key, "name": spec.name, "host": host},
        "credentials_rejected": record.rejected is not None,
        "refusals_in_a_row": record.refusals,
        "low_since": _timestamp(record.low_since),
        "limiter": _limiter(store.limiter(spec, host, login)),
        "forecast": _forecast(record.spending),
        "status": coordinator.status if coordinator else None,
        "next_check_in_seconds": coordinator.update_interval.total_seconds()
        if coordinator and coordinator.update_interval
        else None,
    }


def _forecast(spending: Spending | None) -> dict[str, Any] | None:
    """What the forecast learned (its inputs, times as stored) and what it says."""
    if spending is None:
        return None
    daily, runs_out = spending.daily, spending.runs_out
    return {
        "inputs": spending_data(spending),
        "daily": None if daily is None else str(round(daily, 6)),
        "runs_out": None if runs_out is None else _timestamp(to_wall(runs_out)),
    }
