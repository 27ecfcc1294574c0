"""What must outlive a config entry: the limits a provider imposes.

The one home of every fact that outlives a reload or a restart, each kept
once and keyed the way the provider applies it:

* per **site** (``SiteLimiter``): an IP block and the failed logins that lead
  to one — SMSC applies both to the source IP, so every account of the site
  and every config flow share them;
* per **login** (``RateLimiter``): the request window and a rate-limit wait;
* per **config entry** (:class:`EntryRecord`): whether the provider rejected
  the entry's credentials, its rate-limit refusals in a row, when its
  current low-credit period began, and its last answer — which may stand in
  for a request the limiter forbids at set-up, only while no attempt has
  failed since and it is younger than the interval it was fetched under.

Nothing else is stored. Facts that expired, and entries that no longer
exist, are left out of every write, so storage does not grow with time or
with the logins typed into flows.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import math
import sys
from typing import Any, TypedDict, cast

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .const import (
    DOMAIN,
    LOGGER,
    MAX_UPDATE_INTERVAL,
    REJECTION_INVALID_AUTH,
    REJECTIONS,
    STORAGE_KEY,
    STORAGE_LAZY_SAVE_DELAY,
    STORAGE_SAVE_DELAY,
    STORAGE_VERSION,
)
from .helpers import usable_base_url
from .providers import (
    PROVIDERS,
    Balance,
    MalformedResponseError,
    ProviderSpec,
    RateLimiter,
    SiteLimiter,
)
from .providers._parse import parse_amount, parse_currency
from .providers.limiter import from_wall, monotonic, to_wall, wall_until

MAX_TIMESTAMP = 1e11
"""Year 5138: a stored time beyond it is corrupt, not a wrong clock."""

MAX_INTERVAL_SECONDS = MAX_UPDATE_INTERVAL * 60.0

DATA_STORE: HassKey[LimitsStore] = HassKey(DOMAIN)


@dataclass(frozen=True, slots=True)
class Answer:
    """A good answer of the provider, and until when it is current.

    Times are on the limiters' monotonic clock (stored as wall-clock times):
    a wall-clock step neither ages an answer nor makes an old one current.
    """

    balance: Balance
    fetched_at: float
    valid_until: float

    @property
    def current(self) -> bool:
        """Whether the answer is still younger than its interval."""
        return self.fetched_at <= monotonic() < self.valid_until


@dataclass(slots=True)
class EntryRecord:
    """What is stored of one config entry."""

    answer: Answer | None = None
    rejected: str | None = None
    """Why the provider rejected the credentials (one of ``REJECTIONS``);
    ``None`` while they are not rejected."""
    refusals: int = 0  # rate-limit refusals in a row
    low_since: float | None = None
    """When the current low-credit period began (wall clock), if one is on.

    Kept through failures, reloads and restarts: a low period ends only when
    an answer shows the credit at or above the threshold."""

    @property
    def current_answer(self) -> Answer | None:
        """The stored answer while it is current, else ``None``."""
        return self.answer if self.answer is not None and self.answer.current else None

    @property
    def idle(self) -> bool:
        """Whether nothing here is worth keeping."""
        return self.current_answer is None and not (
            self.rejected or self.refusals or self.low_since is not None
        )


class _StoredSite(TypedDict, total=False):
    blocked_until: float
    failed_logins: list[float]


class _StoredLogin(TypedDict, total=False):
    history: list[float]
    paused_until: float


class _StoredEntry(TypedDict, total=False):
    answer: dict[str, Any]
    rejected: str
    refusals: int
    low_since: float


class _StoredData(TypedDict, total=False):
    sites: dict[str, _StoredSite]
    logins: dict[str, _StoredLogin]
    entries: dict[str, _StoredEntry]


MAX_STORED_TIMES = 1000
"""More request or failure times than any limit needs: the list is corrupt."""

MAX_REFUSALS = 10**6


class _Reader:
    """Checks what comes back from ``.storage``: data from outside, too.

    Every value is checked where it is read; what is invalid is left out
    and named in :attr:`problems`, so that one warning can list it.
    """

    def __init__(self) -> None:
        self.problems: list[str] = []

    def _bad(self, where: str) -> None:
        self.problems.append(where)

    def mapping(self, value: object, where: str) -> dict[str, Any]:
        """A JSON object with text keys (``{}`` when absent or invalid)."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self._bad(where)
            return {}
        # JSON keys are text; anything else did not come from a file.
        return {k: v for k, v in value.items() if isinstance(k, str)}

    def timestamp(self, value: object, where: str) -> float | None:
        """A finite, non-negative wall-clock time (``None``: absent or invalid)."""
        if value is None:
            return None
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and 0 <= value < MAX_TIMESTAMP
        ):
            return float(value)
        self._bad(where)
        return None

    def timestamps(self, value: object, where: str) -> list[float]:
        """A list of times; invalid items (``null`` too) are left out."""
        if value is None:
            return []
        if not isinstance(value, list) or len(value) > MAX_STORED_TIMES:
            self._bad(where)
            return []
        times = [self.timestamp(item, where) for item in value]
        if None in value:
            self._bad(where)
        return [time for time in times if time is not None]

    def record(self, value: object, where: str) -> dict[str, Any]:
        """One stored record: a JSON object (``null`` is invalid here)."""
        if value is None:
            self._bad(where)
        return self.mapping(value, where)

    def rejection(self, value: object, where: str) -> str | None:
        """Why credentials were rejected: a known key (``true``: stored by 0.1)."""
        if value is None or value is False:
            return None
        if value is True:
            return REJECTION_INVALID_AUTH  # the cause was not stored then
        if isinstance(value, str) and value in REJECTIONS:
            return value
        self._bad(where)
        return None

    def count(self, value: object, where: str) -> int:
        """A small non-negative integer."""
        if value is None:
            return 0
        if (
            isinstance(value, int)
            and not isinstance(value, bool)
            and 0 <= value <= MAX_REFUSALS
        ):
            return value
        self._bad(where)
        return 0

    def answer(self, value: object, where: str) -> Answer | None:
        """A stored answer, checked as strictly as the provider's own."""
        if value is None:
            return None
        raw = self.mapping(value, where)
        try:
            limit = raw.get("credit_limit")
            balance = Balance(
                parse_amount(raw.get("amount"), "amount"),
                parse_currency(raw.get("currency")),
                None if limit is None else parse_amount(limit, "credit limit"),
            )
        except MalformedResponseError:
            self._bad(where)
            return None
        fetched_at = self.timestamp(raw.get("fetched_at"), f"{where}.fetched_at")
        valid_until = self.timestamp(raw.get("valid_until"), f"{where}.valid_until")
        if fetched_at is None or valid_until is None:
            return None
        if not fetched_at <= valid_until <= fetched_at + MAX_INTERVAL_SECONDS:
            self._bad(f"{where}.valid_until")
            return None
        return Answer(balance, from_wall(fetched_at), from_wall(valid_until))


def _answer_to_storage(answer: Answer) -> dict[str, Any]:
    limit = answer.balance.credit_limit
    return {
        "amount": str(answer.balance.amount),
        "currency": answer.balance.currency,
        "credit_limit": None if limit is None else str(limit),
        "fetched_at": to_wall(answer.fetched_at),
        "valid_until": to_wall(answer.valid_until),
    }


def _mono(timestamp: float | None) -> float:
    """A stored wall-clock time on the limiters' clock (0: none)."""
    return 0.0 if timestamp is None else from_wall(timestamp)


def _monos(timestamps: list[float]) -> list[float]:
    """Stored wall-clock times on the limiters' clock."""
    return [from_wall(timestamp) for timestamp in timestamps]


class _LimitsStorage(Store[_StoredData]):
    """The storage file, with the migration from earlier versions."""

    def __init__(self, hass: HomeAssistant) -> None:
        # Newer versions reach the migration below, which reads what this
        # release understands of them instead of failing the integration.
        super().__init__(
            hass,
            STORAGE_VERSION,
            STORAGE_KEY,
            private=True,
            max_readable_version=sys.maxsize,
        )

    async def _async_migrate_func(
        self,
        old_major_version: int,
        old_minor_version: int,
        old_data: dict[str, Any],
    ) -> _StoredData:
        """Bring any stored version to this one's shape.

        * 1: one record per account, keyed ``provider|base URL|login``; its
          pending waits are kept, its balances dropped (they carried no
          interval, so nothing says they are current).
        * 2 with a newer minor version: compatible by definition.
        * newer: written by a newer release (after a downgrade). What this
          release understands of it is read, checked like everything stored.
        * anything else: nothing can be trusted.
        """
        if old_major_version == 1:
            return _from_version_1(old_data)
        if old_major_version > STORAGE_VERSION:
            LOGGER.warning(
                "The stored limits (.storage/%s) were written by a newer "
                "release of SMS Credit (storage version %s.%s; this release "
                "reads %s). What this release understands (blocks, waits, "
                "windows) is kept, and the file is rewritten in its format, "
                "which a newer release migrates again",
                STORAGE_KEY,
                old_major_version,
                old_minor_version,
                STORAGE_VERSION,
            )
        elif old_major_version != STORAGE_VERSION:
            raise _UnknownVersionError(old_major_version)
        return cast("_StoredData", old_data)


class _UnknownVersionError(Exception):
    """A storage version no release of SMS Credit wrote."""


def _from_version_1(old_data: object) -> _StoredData:
    reader = _Reader()
    data: _StoredData = {"sites": {}, "logins": {}, "entries": {}}
    for key, raw in reader.mapping(old_data, "version 1").items():
        provider, _, rest = key.partition("|")
        host, _, login = rest.rpartition("|")
        spec = PROVIDERS.get(provider)
        if spec is None or not usable_base_url(host) or not login.strip():
            reader.problems.append(f"version 1 [{key!r}]")
            continue
        record = reader.record(raw, f"version 1 [{key!r}]")
        paused_until = reader.timestamp(record.get("paused_until"), key)
        data["logins"][spec.login_key(host, login)] = {
            "history": reader.timestamps(record.get("history"), key),
            **({"paused_until": paused_until} if paused_until else {}),
        }
        if record.get("pause_reason") == "ip_blocked" and paused_until:
            data["sites"][spec.site(host)] = {"blocked_until": paused_until}
    _warn_left_out(reader.problems)
    return data


def _warn_left_out(problems: list[str]) -> None:
    """One warning for everything invalid that a load left out."""
    if problems:
        LOGGER.warning(
            "Left out %d invalid value(s) of the stored limits "
            "(.storage/%s): %s%s; the rest was loaded",
            len(problems),
            STORAGE_KEY,
            ", ".join(problems[:5]),
            ", …" if len(problems) > 5 else "",
        )


class LimitsStore:
    """Every site's, login's and entry's stored facts; loaded once, saved lazily."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Initialise the store; call :meth:`async_load` before use."""
        self.hass = hass
        self._store = _LimitsStorage(hass)
        self._sites: dict[str, SiteLimiter] = {}
        self._logins: dict[str, RateLimiter] = {}
        self._entries: dict[str, EntryRecord] = {}
        self._load_lock = asyncio.Lock()
        self._loaded = False
        self._save_due = False

    async def async_load(self) -> None:
        """Read what earlier runs stored (once); never fails set-up."""
        async with self._load_lock:
            if self._loaded:
                return
            try:
                stored = await self._store.async_load()
            except (
                _UnknownVersionError,
                HomeAssistantError,
                LookupError,
                TypeError,
                ValueError,
            ):
                # No version, an unknown one, no data: nothing can be trusted.
                LOGGER.warning(
                    "The stored limits (.storage/%s) are unreadable and were "
                    "ignored; they are rewritten at the next change",
                    STORAGE_KEY,
                )
                stored = None
            if stored is not None:
                self._restore(stored)
            self._loaded = True

    def _restore(self, stored: object) -> None:
        """Rebuild every stored fact; what is invalid is left out, once told."""
        reader = _Reader()
        data = reader.mapping(stored, "data")
        for key, raw in reader.mapping(data.get("sites"), "sites").items():
            where = f"sites[{key!r}]"
            provider, _, name = key.partition("|")
            if (spec := PROVIDERS.get(provider)) is None or not name:
                reader.problems.append(where)
                continue
            site = reader.record(raw, where)
            self._sites[key] = SiteLimiter(
                spec.site_rule,
                blocked_until=_mono(
                    reader.timestamp(
                        site.get("blocked_until"), f"{where}.blocked_until"
                    )
                ),
                failed_logins=_monos(
                    reader.timestamps(
                        site.get("failed_logins"), f"{where}.failed_logins"
                    )
                ),
            )
        for key, raw in reader.mapping(data.get("logins"), "logins").items():
            where = f"logins[{key!r}]"
            parts = key.split("|", 2)
            spec = PROVIDERS.get(parts[0])
            if spec is None or len(parts) != 3 or not all(parts):
                reader.problems.append(where)
                continue
            provider, site_name, _login = parts
            stored_login = reader.record(raw, where)
            self._logins[key] = RateLimiter(
                spec.rate_limit,
                history=_monos(
                    reader.timestamps(stored_login.get("history"), f"{where}.history")
                ),
                paused_until=_mono(
                    reader.timestamp(
                        stored_login.get("paused_until"), f"{where}.paused_until"
                    )
                ),
                site=self._site(spec, f"{provider}|{site_name}"),
            )
        for entry_id, raw in reader.mapping(data.get("entries"), "entries").items():
            where = f"entries[{entry_id!r}]"
            stored_entry = reader.record(raw, where)
            self._entries[entry_id] = EntryRecord(
                answer=reader.answer(stored_entry.get("answer"), f"{where}.answer"),
                rejected=reader.rejection(
                    stored_entry.get("rejected"), f"{where}.rejected"
                ),
                refusals=reader.count(
                    stored_entry.get("refusals"), f"{where}.refusals"
                ),
                low_since=reader.timestamp(
                    stored_entry.get("low_since"), f"{where}.low_since"
                ),
            )
        _warn_left_out(reader.problems)

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
        known = self.hass.config_entries.async_get_entry
        sites = {
            key: _site_to_storage(site)
            for key, site in self._sites.items()
            if not site.idle
        }
        logins = {
            key: _login_to_storage(limiter)
            for key, limiter in self._logins.items()
            if not limiter.idle
        }
        entries = {
            entry_id: _entry_to_storage(record)
            for entry_id, record in self._entries.items()
            if not record.idle and known(entry_id) is not None
        }
        LOGGER.debug(
            "Storing %d sites, %d logins, %d entries",
            len(sites),
            len(logins),
            len(entries),
        )
        return {"sites": sites, "logins": logins, "entries": entries}


def _site_to_storage(site_limiter: SiteLimiter) -> _StoredSite:
    site: _StoredSite = {}
    if (blocked_until := wall_until(site_limiter.blocked_until)) is not None:
        site["blocked_until"] = blocked_until
    if failed_logins := site_limiter.failed_logins:
        site["failed_logins"] = [to_wall(t) for t in failed_logins]
    return site


def _login_to_storage(limiter: RateLimiter) -> _StoredLogin:
    login: _StoredLogin = {}
    if history := limiter.history:
        login["history"] = [to_wall(t) for t in history]
    if (paused_until := wall_until(limiter.paused_until)) is not None:
        login["paused_until"] = paused_until
    return login


def _entry_to_storage(record: EntryRecord) -> _StoredEntry:
    stored: _StoredEntry = {}
    if (answer := record.current_answer) is not None:
        stored["answer"] = _answer_to_storage(answer)
    if record.rejected is not None:
        stored["rejected"] = record.rejected
    if record.refusals:
        stored["refusals"] = record.refusals
    if record.low_since is not None:
        stored["low_since"] = record.low_since
    return stored


async def async_get_store(hass: HomeAssistant) -> LimitsStore:
    """Return the loaded store, creating it on first use."""
    if (store := hass.data.get(DATA_STORE)) is None:
        store = hass.data[DATA_STORE] = LimitsStore(hass)
    await store.async_load()
    return store
