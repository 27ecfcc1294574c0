"""What outlives a config entry: the waits a provider imposes, and each entry's record.

Every fact is kept once, keyed the way the provider applies it: per **site**
(:class:`SiteLimiter`: an IP block and the failed logins that lead to one,
which SMSC applies to the source IP) in one small file, written only when a
site's facts change; per **login** (:class:`RateLimiter`: the request window,
a rate-limit wait) and per **config entry** (:class:`EntryRecord`) in one of
:data:`ENTRY_FILES` files, chosen by the entry's ID. So one account's refresh
rewrites a sixteenth of the accounts' state, however many there are, and 500
accounts cost 16 files to read and write, not 500. Logins typed into flows
are kept in memory only. What expired is left out of every write.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
import sys
from typing import Any
import zlib

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store
from homeassistant.util.hass_dict import HassKey

from .const import DOMAIN, LOGGER, REJECTION_INVALID_AUTH, REJECTIONS, STORAGE_KEY
from .forecast import MAX_POINTS, Point, Spending
from .helpers import (
    UnknownProviderError,
    async_get_spec,
    entries_sharing,
    finite,
    usable_base_url,
)
from .providers import Balance, MalformedResponseError, ProviderSpec
from .providers._parse import parse_amount, parse_currency
from .providers.limiter import (
    RateLimiter,
    SiteLimiter,
    from_wall,
    monotonic,
    to_wall,
    wall_until,
)

DATA_STORE: HassKey[LimitsStore] = HassKey(DOMAIN)
STORAGE_VERSION = 3  # the sites' file; each entry's file is version 1
SAVE_DELAY = 1.0
# A routine answer (the only request of its rate-limit window) is stored at
# most this late: losing it in a crash costs one extra request at the next
# start, far under any limit, and saves rewriting every account's state on
# every poll.
LAZY_SAVE_DELAY = 60.0
MAX_TIMESTAMP = 1e11
"""Year 5138: a stored time beyond it is corrupt, not a wrong clock."""
MAX_STORED_TIMES = 1000
"""More request or failure times than any limit needs: the list is corrupt."""
MAX_REFUSALS = 10**6
ENTRY_FILES = 16


def entry_file(entry_id: str) -> str:
    """The storage key of the file that holds an entry's record (version 1)."""
    return f"{DOMAIN}.entries_{zlib.crc32(entry_id.encode()) % ENTRY_FILES:x}"


@dataclass(frozen=True, slots=True)
class Answer:
    """A good answer of the provider, and when it came (on the limiters' clock)."""

    balance: Balance
    fetched_at: float

    def current(self, interval: float) -> bool:
        """Whether the answer is younger than ``interval`` seconds.

        On the monotonic clock: a wall-clock step neither ages an answer nor
        makes an old one current; one "from the future" is not current.
        """
        return self.fetched_at <= monotonic() < self.fetched_at + interval


@dataclass(slots=True)
class EntryRecord:
    """What is stored of one config entry, with its login's window."""

    file: _EntryFile = field(repr=False)
    login: str = ""
    answer: Answer | None = None
    rejected: str | None = None
    """Why the provider rejected the credentials (one of ``REJECTIONS``)."""
    refusals: int = 0  # rate-limit refusals in a row
    low_since: float | None = None
    """When the current low-credit period began (wall clock), if one is on."""
    spending: Spending | None = None
    """What the forecast learned of the account's answers."""


@dataclass(slots=True)
class _EntryFile:
    """One of the entries' files: the records of its entries."""

    store: Store[dict[str, Any]]
    stored: dict[str, Any]
    """What it holds of entries not set up since the start (kept as it is)."""
    records: dict[str, EntryRecord] = field(default_factory=dict)
    save_due: bool = False


class _Reader:
    """Checks what comes back from ``.storage``: data from outside, too.

    Each check reads ``raw[key]``; what is invalid is left out and named
    (``where.key``) in :attr:`problems`, so that one warning can list it.
    """

    def __init__(self) -> None:
        self.problems: list[str] = []

    def mapping(
        self, value: object, where: str, *, nullable: bool = True
    ) -> dict[str, Any]:
        """A JSON object with text keys (``{}`` when absent or invalid)."""
        if value is None and nullable:
            return {}
        if not isinstance(value, dict):
            self.problems.append(where)
            return {}
        return {k: v for k, v in value.items() if isinstance(k, str)}

    def timestamp(self, raw: Mapping[str, Any], key: str, where: str) -> float | None:
        """A finite, non-negative wall-clock time (``None``: absent or invalid)."""
        if (value := raw.get(key)) is None:
            return None
        if (timestamp := _wall_time(value)) is None:
            self.problems.append(f"{where}.{key}")
        return timestamp

    def timestamps(self, raw: Mapping[str, Any], key: str, where: str) -> list[float]:
        """Wall-clock times; invalid items (``null`` too) are left out."""
        if (value := raw.get(key)) is None:
            return []
        if not isinstance(value, list) or len(value) > MAX_STORED_TIMES:
            self.problems.append(f"{where}.{key}")
            return []
        times = [time for time in map(_wall_time, value) if time is not None]
        if len(times) < len(value):
            self.problems.append(f"{where}.{key}")
        return times

    def monotonic(self, raw: Mapping[str, Any], key: str, where: str) -> float:
        """A stored wall-clock time on the limiters' clock (0: none)."""
        timestamp = self.timestamp(raw, key, where)
        return 0.0 if timestamp is None else from_wall(timestamp)

    def rejection(self, raw: Mapping[str, Any], key: str, where: str) -> str | None:
        """Why credentials were rejected: a known key (``true``: stored by 0.1)."""
        if (value := raw.get(key)) is None or value is False:
            return None
        if value is True:
            return REJECTION_INVALID_AUTH  # the cause was not stored then
        if isinstance(value, str) and value in REJECTIONS:
            return value
        self.problems.append(f"{where}.{key}")
        return None

    def count(self, raw: Mapping[str, Any], key: str, where: str) -> int:
        """A small non-negative integer."""
        if (value := raw.get(key)) is None:
            return 0
        if type(value) is int and 0 <= value <= MAX_REFUSALS:
            return value
        self.problems.append(f"{where}.{key}")
        return 0

    def answer(self, raw: Mapping[str, Any], key: str, where: str) -> Answer | None:
        """A stored answer, checked as strictly as the provider's own."""
        if raw.get(key) is None:
            return None
        where = f"{where}.{key}"
        stored = self.mapping(raw[key], where)
        try:
            limit = stored.get("credit_limit")
            balance = Balance(
                parse_amount(stored.get("amount"), "amount"),
                parse_currency(stored.get("currency")),
                None if limit is None else parse_amount(limit, "credit limit"),
            )
        except MalformedResponseError:
            self.problems.append(where)
            return None
        fetched_at = self.timestamp(stored, "fetched_at", where)
        return None if fetched_at is None else Answer(balance, from_wall(fetched_at))

    def spending(self, raw: Mapping[str, Any], key: str, where: str) -> Spending | None:
        """What the forecast learned: all of it valid, or nothing."""
        if raw.get(key) is None:
            return None
        try:
            return _spending(self.mapping(raw[key], f"{where}.{key}"))
        except MalformedResponseError:
            self.problems.append(f"{where}.{key}")
            return None

    def warn(self, file: str) -> None:
        """One warning for everything invalid that a load left out."""
        if problems := self.problems:
            LOGGER.warning(
                "Left out %d invalid value(s) of the stored limits (.storage/%s): "
                "%s%s; the rest was loaded",
                len(problems),
                file,
                ", ".join(problems[:5]),
                ", …" if len(problems) > 5 else "",
            )


def _wall_time(value: object) -> float | None:
    """A finite, non-negative wall-clock time, else ``None``."""
    time = finite(value)
    return time if time is not None and 0 <= time < MAX_TIMESTAMP else None


def _spending(stored: Mapping[str, Any]) -> Spending:
    """The forecast's stored data, checked; ``MalformedResponseError`` if invalid."""
    unit, points, top_up = (
        stored.get("unit"),
        stored.get("points"),
        stored.get("top_up"),
    )
    if not isinstance(unit, str) or not unit.isprintable() or len(unit) > 40:
        raise MalformedResponseError("unit")
    if not isinstance(points, list) or not 0 < len(points) <= MAX_POINTS + 2:
        raise MalformedResponseError("points")
    spending = Spending(
        unit, parse_amount(stored.get("amount"), "amount"), list(map(_point, points))
    )
    pairs = zip(spending.points, spending.points[1:], strict=False)
    if any(a.at > b.at or a.spent > b.spent for a, b in pairs):
        raise MalformedResponseError("points out of order")
    if (top_up := stored.get("top_up")) is not None:
        when, (amount,) = _timed(top_up, 2)
        spending.top_up = (when, parse_amount(amount, "top-up"))
    return spending


def _point(value: object) -> Point:
    """``[when, spent, drop]``: a wall-clock time and two amounts of 0 or more."""
    when, (spent, drop) = _timed(value, 3)
    point = Point(when, parse_amount(spent, "spent"), parse_amount(drop, "drop"))
    if point.spent < 0 or point.drop < 0:
        raise MalformedResponseError("negative")
    return point


def _timed(value: object, size: int) -> tuple[float, list[Any]]:
    """``[wall-clock time, …]`` of ``size`` items: the time on the limiters' clock."""
    if not isinstance(value, list) or len(value) != size:
        raise MalformedResponseError("not a list")
    if (when := _wall_time(value[0])) is None:
        raise MalformedResponseError("time")
    return from_wall(when), value[1:]


async def _async_read(store: Store[dict[str, Any]]) -> dict[str, Any] | None:
    """A file's data; ``None`` (and a warning) when it is unreadable."""
    try:
        return await store.async_load()
    except (
        _UnknownVersionError,
        HomeAssistantError,
        LookupError,
        NotImplementedError,  # a version this release cannot migrate
        TypeError,
        ValueError,
    ):
        # No version, an unknown one, no data: nothing can be trusted.
        LOGGER.warning(
            "The stored limits (.storage/%s) are unreadable and were ignored; "
            "they are rewritten at the next change",
            store.key,
        )
        return None


class _UnknownVersionError(Exception):
    """A storage version no release of SMS Credit wrote."""


class _SharedStorage(Store[dict[str, Any]]):
    """The file of the sites' facts, with the migration from earlier versions."""

    async def _async_migrate_func(
        self, old_major_version: int, old_minor_version: int, old_data: dict[str, Any]
    ) -> dict[str, Any]:
        """Bring any stored version to this one's shape.

        * 1: one record per account, keyed ``provider|base URL|login``: its
          waits are kept, its balances dropped (nothing says they are current).
        * 2: logins and entries move to the entries' files when each entry
          is next set up (kept in memory until then).
        * newer (after a downgrade): what this release understands is read.
        * anything else: nothing can be trusted.
        """
        if old_major_version == 1:
            return await self._async_from_version_1(old_data)
        if old_major_version > STORAGE_VERSION:
            LOGGER.warning(
                "The stored limits (.storage/%s) were written by a newer release "
                "of SMS Credit (storage version %s.%s; this release reads %s). What "
                "this release understands (blocks, waits, windows) is kept, and "
                "the file is rewritten in its format, which a newer release "
                "migrates again",
                STORAGE_KEY,
                old_major_version,
                old_minor_version,
                STORAGE_VERSION,
            )
        elif old_major_version != 2:
            raise _UnknownVersionError(old_major_version)
        return old_data

    async def _async_from_version_1(self, old_data: object) -> dict[str, Any]:
        """Version 1's records as version 2's sites and logins."""
        reader = _Reader()
        sites: dict[str, Any] = {}
        logins: dict[str, Any] = {}
        for key, raw in reader.mapping(old_data, "version 1").items():
            provider, _, rest = key.partition("|")
            host, _, login = rest.rpartition("|")
            try:
                spec = await async_get_spec(self.hass, provider)
            except UnknownProviderError:
                spec = None
            if spec is None or not usable_base_url(host) or not login.strip():
                reader.problems.append(f"version 1 [{key!r}]")
                continue
            record = reader.mapping(raw, f"version 1 [{key!r}]", nullable=False)
            paused_until = reader.timestamp(record, "paused_until", key)
            logins[spec.login_key(host, login)] = {
                "history": reader.timestamps(record, "history", key),
                "paused_until": paused_until,
            }
            if record.get("pause_reason") == "ip_blocked" and paused_until:
                sites[spec.site(host)] = {"blocked_until": paused_until}
        reader.warn(STORAGE_KEY)
        return {"sites": sites, "logins": logins}


class LimitsStore:
    """Every site's, login's and entry's stored facts; each file loaded once."""

    def __init__(self, hass: HomeAssistant) -> None:
        """Initialise the store; call :meth:`async_load` before use."""
        self.hass = hass
        # Newer versions reach the migration, which reads what this release
        # understands of them instead of failing the integration.
        self._store = _SharedStorage(
            hass,
            STORAGE_VERSION,
            STORAGE_KEY,
            private=True,
            max_readable_version=sys.maxsize,
        )
        self._sites: dict[str, SiteLimiter] = {}
        self._logins: dict[str, RateLimiter] = {}
        self._entries: dict[str, EntryRecord] = {}
        self._files: dict[str, asyncio.Task[_EntryFile]] = {}
        # Written by storage version 2, until each entry is next set up.
        self.legacy_logins: dict[str, Any] = {}
        self.legacy_entries: dict[str, Any] = {}
        self._written_sites: set[str] = set()
        self._load_lock = asyncio.Lock()
        self._loaded = False

    async def async_load(self) -> None:
        """Read the sites' facts that earlier runs stored (once); never fails set-up."""
        async with self._load_lock:
            if self._loaded:
                return
            reader = _Reader()
            data = reader.mapping(await _async_read(self._store), "data")
            self.legacy_logins = reader.mapping(data.get("logins"), "logins")
            self.legacy_entries = reader.mapping(data.get("entries"), "entries")
            for key, raw in reader.mapping(data.get("sites"), "sites").items():
                where = f"sites[{key!r}]"
                provider, _, name = key.partition("|")
                try:
                    spec = await async_get_spec(self.hass, provider)
                except UnknownProviderError:
                    spec = None
                if spec is None or not name:
                    reader.problems.append(where)
                    continue
                site = reader.mapping(raw, where, nullable=False)
                self._sites[key] = SiteLimiter(
                    spec.site_rule,
                    blocked_until=reader.monotonic(site, "blocked_until", where),
                    failed_logins=map(
                        from_wall, reader.timestamps(site, "failed_logins", where)
                    ),
                )
            self._written_sites = set(self._sites)
            reader.warn(STORAGE_KEY)
            self._loaded = True

    def site(self, spec: ProviderSpec, host: str) -> SiteLimiter:
        """The limiter of the site ``host`` belongs to, shared by its logins."""
        key = spec.site(host)
        if (site := self._sites.get(key)) is None:
            site = self._sites[key] = SiteLimiter(spec.site_rule)
        return site

    def limiter(
        self, spec: ProviderSpec, host: str, login: str, stored: object = None
    ) -> RateLimiter:
        """The rate limiter of one login at its site (``stored``: its last write).

        A window several entries share (Brevo's) holds what each of them
        stored: a restart adds no request, whichever entry starts first.
        """
        key = spec.login_key(host, login)
        limiter = self._logins.get(key)
        if limiter is not None and stored is None:
            return limiter
        reader = _Reader()
        raw = reader.mapping(stored or self.legacy_logins.get(key), key)
        history = map(from_wall, reader.timestamps(raw, "history", key))
        paused_until = reader.monotonic(raw, "paused_until", key)
        if limiter is None:
            limiter = self._logins[key] = RateLimiter(
                spec.rate_limit,
                history=history,
                paused_until=paused_until,
                site=self.site(spec, host),
            )
        else:
            limiter.merge(history, paused_until)
        reader.warn(STORAGE_KEY)
        return limiter

    async def async_entry(
        self, entry_id: str, spec: ProviderSpec, host: str, login: str
    ) -> EntryRecord:
        """The record of one entry, read from its file at its first set-up."""
        if (record := self._entries.get(entry_id)) is not None:
            record.login = spec.login_key(host, login)  # after a reconfigure
            self.limiter(spec, host, login)
            return record
        file = await self._async_file(entry_file(entry_id))
        reader = _Reader()
        where = f"{file.store.key}[{entry_id!r}]"
        stored = file.stored.pop(entry_id, None) or self.legacy_entries.pop(
            entry_id, None
        )
        raw = reader.mapping(stored, where)
        login_key = spec.login_key(host, login)
        if spec.rate_limit.shared and login_key not in self._logins:
            await self._async_shared_window(spec, host, login)
        # Its window, as written with the record (not after a reconfigure).
        self.limiter(spec, host, login, raw if raw.get("login") == login_key else None)
        record = EntryRecord(
            file,
            login=login_key,
            answer=reader.answer(raw, "answer", where),
            rejected=reader.rejection(raw, "rejected", where),
            refusals=reader.count(raw, "refusals", where),
            low_since=reader.timestamp(raw, "low_since", where),
            spending=reader.spending(raw, "spending", where),
        )
        self._entries[entry_id] = file.records[entry_id] = record
        reader.warn(file.store.key)
        return record

    async def _async_shared_window(
        self, spec: ProviderSpec, host: str, login: str
    ) -> None:
        """A window every entry shares (Brevo's), as each entry wrote it."""
        key = spec.login_key(host, login)
        for entry in entries_sharing(self.hass, spec, host, disabled=True):
            file = await self._async_file(entry_file(entry.entry_id))
            raw = file.stored.get(entry.entry_id)
            if isinstance(raw, Mapping) and raw.get("login") == key:
                self.limiter(spec, host, login, raw)

    async def _async_file(self, key: str) -> _EntryFile:
        """One of the entries' files, read once (its first caller reads it)."""
        if (task := self._files.get(key)) is None:
            task = self._files[key] = self.hass.async_create_task(
                self._async_read_file(key), eager_start=True
            )
        return await task

    async def _async_read_file(self, key: str) -> _EntryFile:
        store: Store[dict[str, Any]] = Store(self.hass, 1, key, private=True)
        reader = _Reader()
        data = reader.mapping(await _async_read(store), key)
        stored = reader.mapping(data.get("entries"), f"{key}.entries")
        reader.warn(key)
        return _EntryFile(store, stored)

    @callback
    def async_save_entry(self, record: EntryRecord, *, urgent: bool = True) -> None:
        """Store an entry's record and its login's window (at the latest at stop).

        Urgent saves happen within a second: what a crash must not lose
        (several requests in one window, a wait, a rejected login, a failed
        attempt). Others join the next write, at most a minute later;
        scheduling one does not postpone a write already due.
        """
        file = record.file
        if urgent or not file.save_due:
            delay = SAVE_DELAY if urgent else LAZY_SAVE_DELAY
            file.store.async_delay_save(lambda: self._file_data(file), delay)
        file.save_due = True

    @callback
    def async_save_sites(self, *, ended: bool = False) -> None:
        """Store the sites' facts (within a second): they changed.

        ``ended``: only if a fact that was written has ended since (a good
        answer), so that no ended block outlives a restart, whatever the
        clock does meanwhile.
        """
        if not ended or set(self._site_facts()) != self._written_sites:
            self._store.async_delay_save(self._sites_data, SAVE_DELAY)

    async def async_forget_entry(self, entry_id: str) -> None:
        """Forget a removed entry; the waits of its site and login stay in memory."""
        self.legacy_entries.pop(entry_id, None)
        self._entries.pop(entry_id, None)
        file = await self._async_file(entry_file(entry_id))
        file.records.pop(entry_id, None)
        file.stored.pop(entry_id, None)
        file.store.async_delay_save(lambda: self._file_data(file), SAVE_DELAY)

    def _file_data(self, file: _EntryFile) -> dict[str, Any]:
        """What one of the entries' files holds now; no entry that is gone."""
        file.save_due = False
        known = self.hass.config_entries.async_get_entry
        entries = {key: raw for key, raw in file.stored.items() if known(key)}
        for entry_id, record in file.records.items():
            entries[entry_id] = self._entry_data(record)
        return {"entries": entries}

    def _entry_data(self, record: EntryRecord) -> dict[str, Any]:
        data: dict[str, Any] = {"login": record.login}
        limiter = self._logins[record.login]  # made with the record
        if history := limiter.history:
            data["history"] = [to_wall(t) for t in history]
        if (paused_until := wall_until(limiter.paused_until)) is not None:
            data["paused_until"] = paused_until
        if (answer := record.answer) is not None:
            data["answer"] = balance_data(answer.balance)
            data["answer"]["fetched_at"] = to_wall(answer.fetched_at)
        if record.rejected is not None:
            data["rejected"] = record.rejected
        if record.refusals:
            data["refusals"] = record.refusals
        if record.low_since is not None:
            data["low_since"] = record.low_since
        if (spending := record.spending) is not None:
            data["spending"] = spending_data(spending)
        return data

    def _sites_data(self) -> dict[str, Any]:
        sites = self._site_facts()
        self._written_sites = set(sites)
        return {"sites": sites}

    def _site_facts(self) -> dict[str, Any]:
        sites: dict[str, Any] = {}
        for key, site in self._sites.items():
            stored: dict[str, Any] = {}
            if (blocked_until := wall_until(site.blocked_until)) is not None:
                stored["blocked_until"] = blocked_until
            if failed_logins := site.failed_logins:
                stored["failed_logins"] = [to_wall(t) for t in failed_logins]
            if stored:
                sites[key] = stored
        return sites


def balance_data(balance: Balance) -> dict[str, Any]:
    """A balance as JSON: as it is stored, and shown in diagnostics."""
    limit = balance.credit_limit
    return {
        "amount": str(balance.amount),
        "currency": balance.currency,
        "credit_limit": None if limit is None else str(limit),
    }


def spending_data(spending: Spending) -> dict[str, Any]:
    """What the forecast learned, as JSON: as it is stored, and in diagnostics."""
    top_up = spending.top_up
    return {
        "unit": spending.unit,
        "amount": str(spending.amount),
        "points": [[to_wall(p.at), str(p.spent), str(p.drop)] for p in spending.points],
        "top_up": None if top_up is None else [to_wall(top_up[0]), str(top_up[1])],
    }


async def async_get_store(hass: HomeAssistant) -> LimitsStore:
    """Return the loaded store, creating it on first use."""
    if (store := hass.data.get(DATA_STORE)) is None:
        store = hass.data[DATA_STORE] = LimitsStore(hass)
    await store.async_load()
    return store
