"""Per-account state that outlives config entry reloads and restarts.

The provider's limits belong to the account, not to a config entry's
lifetime: the request history of the rate limiter, a pause the provider
asked for, and whether it rejected the credentials are kept here, at domain
level, and stored in ``.storage`` so that reloads, option changes and
restarts can never add requests beyond the limit. The last good balance is
kept too, so a reload within the update interval costs no request and the
integration's own throttling never leaves entities without a value.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
import time
from typing import Any, TypedDict

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .const import (
    DOMAIN,
    ISSUE_IP_BLOCKED,
    ISSUE_RATE_LIMITED,
    LOGGER,
    STORAGE_KEY,
    STORAGE_LAZY_SAVE_DELAY,
    STORAGE_SAVE_DELAY,
    STORAGE_VERSION,
)
from .providers import (
    Balance,
    IpBlockedError,
    ProviderError,
    RateLimit,
    RateLimitedError,
    RateLimiter,
)

DATA_ACCOUNTS: HassKey[AccountStore] = HassKey(DOMAIN)

# When the provider blocks the IP or rate-limits without saying for how long.
DEFAULT_PAUSE = 60.0


class _StoredBalance(TypedDict):
    amount: str
    currency: str
    credit_limit: str | None


class _StoredAccount(TypedDict, total=False):
    history: list[float]
    paused_until: float
    pause_reason: str | None
    balance: _StoredBalance | None
    fetched_at: float | None
    auth_failed: bool


@dataclass(slots=True)
class AccountState:
    """What is known of one provider account, across config entry reloads."""

    limiter: RateLimiter
    balance: Balance | None = None
    fetched_at: float | None = None  # wall-clock time of the last good answer
    auth_failed: bool = False
    # Why the limiter is paused: the repair issue the pause belongs to.
    pause_reason: str | None = None
    last_error: str | None = None
    last_error_at: float | None = None
    rate_limited_in_a_row: int = 0

    @property
    def active_pause(self) -> str | None:
        """Why the provider asked to wait, while that wait is not over."""
        if self.limiter.paused_until > time.time():
            return self.pause_reason
        return None

    def record_success(self, balance: Balance) -> None:
        """Remember a good answer."""
        self.balance = balance
        self.fetched_at = time.time()
        self.auth_failed = False
        self.rate_limited_in_a_row = 0
        self.pause_reason = None

    def record_error(self, error: ProviderError) -> None:
        """Remember the last error (its kind only), and any wait it asks for.

        After an IP block or a rate-limit refusal, nothing is sent before the
        wait is over: every request during an SMSC block prolongs it.
        """
        now = time.time()
        self.last_error = type(error).__name__
        self.last_error_at = now
        if isinstance(error, IpBlockedError | RateLimitedError):
            self.limiter.pause_until(now + (error.retry_after or DEFAULT_PAUSE))
            self.pause_reason = (
                ISSUE_IP_BLOCKED
                if isinstance(error, IpBlockedError)
                else ISSUE_RATE_LIMITED
            )


def _balance_from_storage(raw: _StoredBalance | None) -> Balance | None:
    if raw is None:
        return None
    try:
        limit = raw["credit_limit"]
        return Balance(
            amount=Decimal(raw["amount"]),
            currency=raw["currency"],
            credit_limit=None if limit is None else Decimal(limit),
        )
    except KeyError, TypeError, InvalidOperation:
        return None


def _balance_to_storage(balance: Balance | None) -> _StoredBalance | None:
    if balance is None:
        return None
    limit = balance.credit_limit
    return {
        "amount": str(balance.amount),
        "currency": balance.currency,
        "credit_limit": None if limit is None else str(limit),
    }


class AccountStore:
    """Every account's :class:`AccountState`, loaded once and saved lazily."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Initialise the store; call :meth:`async_load` before use."""
        self._store: Store[dict[str, _StoredAccount]] = Store(
            hass, STORAGE_VERSION, STORAGE_KEY, private=True
        )
        self._stored: dict[str, _StoredAccount] = {}
        self._states: dict[str, AccountState] = {}
        self._load_lock = asyncio.Lock()
        self._loaded = False
        self._save_due = False

    async def async_load(self) -> None:
        """Read what earlier runs stored (once)."""
        async with self._load_lock:
            if self._loaded:
                return
            stored = await self._store.async_load()
            if isinstance(stored, dict):
                self._stored = stored
            self._loaded = True

    def get(self, key: str, rate_limit: RateLimit) -> AccountState:
        """Return the state of the account ``key``, restoring it if stored."""
        if (state := self._states.get(key)) is not None:
            return state
        raw = self._stored.pop(key, {})
        limiter = RateLimiter(
            rate_limit,
            history=[t for t in raw.get("history", []) if isinstance(t, float | int)],
            paused_until=float(raw.get("paused_until", 0.0)),
        )
        state = AccountState(
            limiter=limiter,
            balance=_balance_from_storage(raw.get("balance")),
            fetched_at=raw.get("fetched_at"),
            auth_failed=bool(raw.get("auth_failed", False)),
            pause_reason=raw.get("pause_reason"),
        )
        self._states[key] = state
        LOGGER.debug("Account state for %s restored: %s", key, bool(raw))
        return state

    @callback
    def async_forget(self, key: str) -> None:
        """Forget the balance and login state of an account that was removed.

        The request history and any pause the provider asked for stay until
        they expire: adding the account again must not cross the limits.
        """
        self._stored.pop(key, None)
        if (state := self._states.get(key)) is not None:
            state.balance = None
            state.fetched_at = None
            state.auth_failed = False
        self.async_schedule_save()

    @callback
    def async_schedule_save(self, *, urgent: bool = True) -> None:
        """Store the states (at the latest when Home Assistant stops).

        Urgent saves happen within a second: anything a crash must not lose
        (several requests in one rate-limit window, a pause, a rejected
        login). Other saves join the next write, at most a minute later;
        scheduling one does not postpone a write already due.
        """
        if urgent:
            self._store.async_delay_save(self._data_to_save, STORAGE_SAVE_DELAY)
        elif not self._save_due:
            self._store.async_delay_save(self._data_to_save, STORAGE_LAZY_SAVE_DELAY)
        self._save_due = True

    @callback
    def _data_to_save(self) -> dict[str, Any]:
        self._save_due = False
        data: dict[str, Any] = dict(self._stored)
        for key, state in self._states.items():
            data[key] = {
                "history": list(state.limiter.history),
                "paused_until": state.limiter.paused_until,
                "balance": _balance_to_storage(state.balance),
                "fetched_at": state.fetched_at,
                "auth_failed": state.auth_failed,
                "pause_reason": state.pause_reason,
            }
        return data


async def async_get_account_store(hass: HomeAssistant) -> AccountStore:
    """Return the loaded account store, creating it on first use."""
    if (store := hass.data.get(DATA_ACCOUNTS)) is None:
        store = hass.data[DATA_ACCOUNTS] = AccountStore(hass)
    await store.async_load()
    return store
