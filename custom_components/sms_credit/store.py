"""What must outlive a config entry: the limits a provider imposes.

The one home of every fact that outlives a reload or a restart, each kept
once and keyed the way the provider applies it:

* per **site** (``SiteLimiter``): an IP block and the failed logins that lead
  to one — SMSC applies both to the source IP, so every account of the site
  and every config flow share them;
* per **login** (``RateLimiter``): the request window and a rate-limit wait;
* per **config entry** (:class:`EntryRecord`): whether the provider rejected
  the entry's credentials, its rate-limit refusals in a row, and its last
  answer — which may stand in for a request the limiter forbids at set-up,
  only while no attempt has failed since and it is younger than the interval
  it was fetched under.

Nothing else is stored. Facts that expired, and entries that no longer
exist, are left out of every write, so storage does not grow with time or
with the logins typed into flows.
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
    LOGGER,
    STORAGE_KEY,
    STORAGE_LAZY_SAVE_DELAY,
    STORAGE_SAVE_DELAY,
    STORAGE_VERSION,
)
from .providers import PROVIDERS, Balance, ProviderSpec, RateLimiter, SiteLimiter

DATA_STORE: HassKey[LimitsStore] = HassKey(DOMAIN)


@dataclass(frozen=True, slots=True)
class Answer:
    """A good answer of the provider, and until when it is current."""

    balance: Balance
    fetched_at: float
    valid_until: float

    @property
    def current(self) -> bool:
        """Whether the answer is still younger than its interval."""
        return self.fetched_at <= time.time() < self.valid_until


@dataclass(slots=True)
class EntryRecord:
    """What is stored of one config entry."""

    answer: Answer | None = None
    rejected: bool = False
    refusals: int = 0  # rate-limit refusals in a row

    @property
    def idle(self) -> bool:
        """Whether nothing here is worth keeping."""
        return not (self.answer and self.answer.current) and not (
            self.rejected or self.refusals
        )


class _StoredSite(TypedDict, total=False):
    blocked_until: float
    failed_logins: list[float]


class _StoredLogin(TypedDict, total=False):
    history: list[float]
    paused_until: float


class _StoredEntry(TypedDict, total=False):
    answer: dict[str, Any]
    rejected: bool
    refusals: int


class _StoredData(TypedDict, total=False):
    sites: dict[str, _StoredSite]
    logins: dict[str, _StoredLogin]
    entries: dict[str, _StoredEntry]


def _floats(value: object) -> list[float]:
    if not isinstance(value, list):
        return []
    return [float(v) for v in value if isinstance(v, int | float)]


def _float(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _answer_from_storage(raw: object) -> Answer | None:
    if not isinstance(raw, dict):
        return None
    try:
        limit = raw.get("credit_limit")
        return Answer(
            balance=Balance(
                amount=Decimal(raw["amount"]),
                currency=str(raw["currency"]),
                credit_limit=None if limit is None else Decimal(limit),
            ),
            fetched_at=float(raw["fetched_at"]),
            valid_until=float(raw["valid_until"]),
        )
    except KeyError, TypeError, ValueError, InvalidOperation:
        return None


def _answer_to_storage(answer: Answer) -> dict[str, Any]:
    limit = answer.balance.credit_limit
    return {
        "amount": str(answer.balance.amount),
        "currency": answer.balance.currency,
        "credit_limit": None if limit is None else str(limit),
        "fetched_at": answer.fetched_at,
        "valid_until": answer.valid_until,
    }


class _LimitsStorage(Store[_StoredData]):
    """The storage file, with the migration from earlier versions."""

    async def _async_migrate_func(
        self,
        old_major_version: int,
        old_minor_version: int,  # noqa: ARG002
        old_data: dict[str, Any],
    ) -> _StoredData:
        """Version 1 kept one record per account; keep its pending waits.

        Its keys were ``provider|base URL|login``; its stored balances are
        dropped (they carried no interval, so nothing says they are current).
        """
        if old_major_version != 1:  # pragma: no cover - no other version exists
            raise NotImplementedError
        data: _StoredData = {"sites": {}, "logins": {}, "entries": {}}
        for key, raw in old_data.items():
            provider, _, rest = key.partition("|")
            host, _, login = rest.rpartition("|")
            if (spec := PROVIDERS.get(provider)) is None or not isinstance(raw, dict):
                continue
            data["logins"][spec.login_key(host, login)] = {
                "history": _floats(raw.get("history")),
                "paused_until": _float(raw.get("paused_until")),
            }
            if raw.get("pause_reason") == "ip_blocked":
                data["sites"][spec.site(host)] = {
                    "blocked_until": _float(raw.get("paused_until"))
                }
        return data


class LimitsStore:
    """Every site's, login's and entry's stored facts; loaded once, saved lazily."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Initialise the store; call :meth:`async_load` before use."""
        self.hass = hass
        self._store = _LimitsStorage(hass, STORAGE_VERSION, STORAGE_KEY, private=True)
        self._sites: dict[str, SiteLimiter] = {}
        self._logins: dict[str, RateLimiter] = {}
        self._entries: dict[str, EntryRecord] = {}
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
                self._restore(stored)
            self._loaded = True

    def _restore(self, stored: _StoredData) -> None:
        """Rebuild every stored fact; anything unreadable is left out."""
        sites = stored.get("sites")
        for key, raw in (sites if isinstance(sites, dict) else {}).items():
            spec = PROVIDERS.get(key.partition("|")[0])
            if spec is not None and isinstance(raw, dict):
                self._sites[key] = SiteLimiter(
                    spec.site_rule,
                    blocked_until=_float(raw.get("blocked_until")),
                    failed_logins=_floats(raw.get("failed_logins")),
                )
        logins = stored.get("logins")
        for key, login in (logins if isinstance(logins, dict) else {}).items():
            provider, site_name, _login = f"{key}||".split("|", 2)
            spec = PROVIDERS.get(provider)
            if spec is not None and isinstance(login, dict):
                self._logins[key] = RateLimiter(
                    spec.rate_limit,
                    history=_floats(login.get("history")),
                    paused_until=_float(login.get("paused_until")),
                    site=self._site(spec, f"{provider}|{site_name}"),
                )
        entries = stored.get("entries")
        for entry_id, stored_entry in (
            entries if isinstance(entries, dict) else {}
        ).items():
            if isinstance(stored_entry, dict):
                refusals = stored_entry.get("refusals")
                self._entries[entry_id] = EntryRecord(
                    answer=_answer_from_storage(stored_entry.get("answer")),
                    rejected=stored_entry.get("rejected") is True,
                    refusals=refusals if isinstance(refusals, int) else 0,
                )

    def _site(self, spec: ProviderSpec, key: str) -> SiteLimiter:
        if (site := self._sites.get(key)) is None:
            site = self._sites[key] = SiteLimiter(spec.site_rule)
        return site

    def site(self, spec: ProviderSpec, host: str) -> SiteLimiter:
        """The limiter of the site ``host`` belongs to, shared by its logins."""
        return self._site(spec, spec.site(host))

    def limiter(self, spec: ProviderSpec, host: str, login: str) -> RateLimiter:
        """The rate limiter of one login at its site."""
        key = spec.login_key(host, login)
        if (limiter := self._logins.get(key)) is None:
            limiter = self._logins[key] = RateLimiter(
                spec.rate_limit, site=self.site(spec, host)
            )
        return limiter

    def entry(self, entry_id: str) -> EntryRecord:
        """What is stored of one config entry."""
        if (record := self._entries.get(entry_id)) is None:
            record = self._entries[entry_id] = EntryRecord()
        return record

    @callback
    def async_forget_entry(self, entry_id: str) -> None:
        """Forget a removed entry; the waits of its site and login stay."""
        self._entries.pop(entry_id, None)
        self.async_schedule_save()

    @callback
    def async_schedule_save(self, *, urgent: bool = True) -> None:
        """Store the facts (at the latest when Home Assistant stops).

        Urgent saves happen within a second: anything a crash must not lose
        (several requests in one window, a wait, a rejected login, a failed
        attempt that invalidates the last answer). Other saves join the next
        write, at most a minute later; scheduling one does not postpone a
        write already due.
        """
        if urgent:
            self._store.async_delay_save(self._data_to_save, STORAGE_SAVE_DELAY)
        elif not self._save_due:
            self._store.async_delay_save(self._data_to_save, STORAGE_LAZY_SAVE_DELAY)
        self._save_due = True

    @callback
    def _data_to_save(self) -> _StoredData:
        """What still matters: nothing expired, no entry that is gone."""
        self._save_due = False
        sites: dict[str, _StoredSite] = {}
        for key, site_limiter in self._sites.items():
            if not site_limiter.idle:
                sites[key] = {
                    "blocked_until": site_limiter.blocked_until,
                    "failed_logins": list(site_limiter.failed_logins),
                }
        logins: dict[str, _StoredLogin] = {}
        for key, limiter in self._logins.items():
            if not limiter.idle:
                logins[key] = {
                    "history": list(limiter.history),
                    "paused_until": limiter.paused_until,
                }
        entries: dict[str, _StoredEntry] = {}
        known = self.hass.config_entries.async_get_entry
        for entry_id, record in self._entries.items():
            if record.idle or known(entry_id) is None:
                continue
            stored: _StoredEntry = {}
            if record.answer is not None and record.answer.current:
                stored["answer"] = _answer_to_storage(record.answer)
            if record.rejected:
                stored["rejected"] = True
            if record.refusals:
                stored["refusals"] = record.refusals
            entries[entry_id] = stored
        LOGGER.debug(
            "Storing %d sites, %d logins, %d entries",
            len(sites),
            len(logins),
            len(entries),
        )
        return {"sites": sites, "logins": logins, "entries": entries}


async def async_get_store(hass: HomeAssistant) -> LimitsStore:
    """Return the loaded store, creating it on first use."""
    if (store := hass.data.get(DATA_STORE)) is None:
        store = hass.data[DATA_STORE] = LimitsStore(hass)
    await store.async_load()
    return store
