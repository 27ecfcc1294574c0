"""The coordinator: one per account, the one owner of its balance and health.

``data`` is the provider's last answer, ``last_update_success`` and
``last_exception`` the account's health; the low period follows from them.
Repair issues are raised and cleared only here. What the provider imposes
(waits, windows, rejected credentials) lives in the :class:`~.store.LimitsStore`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
import math
import time
from typing import override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
    DOMAIN,
    LOGGER,
    RATE_LIMITED_ISSUE_AFTER,
    REJECTION_ACCESS_DENIED,
    REJECTION_AUTH_OR_IP,
    REJECTION_INVALID_AUTH,
    REJECTION_INVALID_AUTH_OR_IP,
)
from .forecast import Spending, learn, low_by_forecast, next_check
from .helpers import (
    adaptive_polling,
    entries_sharing,
    low_credit_days,
    low_credit_threshold,
    shortest_interval,
    update_interval_minutes,
)
from .providers import (
    AccessDeniedError,
    AuthenticationError,
    Balance,
    IpBlockedError,
    IpNotAllowedError,
    MalformedResponseError,
    NoBalanceError,
    PostpaidError,
    ProviderClient,
    ProviderConnectionError,
    ProviderError,
    ProviderSpec,
    ProviderTimeoutError,
    RateLimitedError,
    RateLimiter,
    ThrottledError,
    WaitReason,
    WrongSiteError,
)
from .providers.limiter import monotonic, to_wall
from .store import Answer, EntryRecord, LimitsStore

type SmsCreditConfigEntry = ConfigEntry[SmsCreditCoordinator]

# Repair issues the integration raises (issue_id prefixes; one per entry).
ISSUES = ("ip_blocked", "ip_not_allowed", "rate_limited")

# Adaptive polling: a failed check is tried again at most this much later.
RETRY_FAILED = 1800.0

# The account's status (an enum sensor's states), by the translation key of
# why the last check failed; anything else is "error".
STATUS_OK = "ok"
STATUSES: dict[str, str] = {
    REJECTION_INVALID_AUTH: "rejected",
    REJECTION_INVALID_AUTH_OR_IP: "rejected",
    REJECTION_AUTH_OR_IP: "rejected",
    REJECTION_ACCESS_DENIED: "rejected",
    "auth_failed_before": "rejected",
    WaitReason.IP_BLOCKED: "ip_blocked",
    "ip_not_allowed": "ip_not_allowed",
    WaitReason.FAILED_LOGINS: "waiting",
    WaitReason.RATE_LIMITED: "waiting",
    WaitReason.THROTTLED: "waiting",
    "timeout": "unreachable",
    "cannot_connect": "unreachable",
}

# The one table: each provider error (most specific first), the translation
# key that explains it (exceptions and form errors alike), and the repair
# issue it raises. A rejected login is ConfigEntryAuthFailed (reauth), every
# other error UpdateFailed; RateLimitedError raises its issue only when it
# repeats (RATE_LIMITED_ISSUE_AFTER in a row).
ERRORS: tuple[tuple[type[ProviderError], str, str | None], ...] = (
    (IpBlockedError, "ip_blocked", "ip_blocked"),
    (IpNotAllowedError, "ip_not_allowed", "ip_not_allowed"),
    (RateLimitedError, "rate_limited", None),
    (ProviderTimeoutError, "timeout", None),
    (ProviderConnectionError, "cannot_connect", None),
    (MalformedResponseError, "malformed_response", None),
    (PostpaidError, "postpaid", None),
    (NoBalanceError, "no_balance", None),
    (WrongSiteError, "wrong_site", None),
    (ProviderError, "provider_error", None),
)


@callback
def async_delete_issues(
    hass: HomeAssistant, entry_id: str, kinds: tuple[str, ...] = ISSUES
) -> None:
    """Delete repair issues of one config entry (all of them by default)."""
    for kind in kinds:
        ir.async_delete_issue(hass, DOMAIN, f"{kind}_{entry_id}")


def error_key(err: ProviderError, spec: ProviderSpec | None = None) -> str:
    """Return the translation key that explains ``err`` to the user."""
    if isinstance(err, AccessDeniedError):
        return REJECTION_ACCESS_DENIED
    if isinstance(err, AuthenticationError):
        if err.ip_maybe_not_allowed:
            # Where failed logins block the IP (SMSC), the form says how soon.
            blocks = spec is not None and spec.site_rule is not None
            return REJECTION_INVALID_AUTH_OR_IP if blocks else REJECTION_AUTH_OR_IP
        return REJECTION_INVALID_AUTH
    return next(key for kind, key, _issue in ERRORS if isinstance(err, kind))


def retry_delay(wait: float) -> int:
    """Seconds to schedule a retry after: surely past ``wait``.

    Home Assistant floors a schedule to whole seconds; a retry that fires
    before the wait is over would be throttled again at once.
    """
    return math.ceil(wait) + 1


def wait_placeholders(wait: float) -> dict[str, str]:
    """Until when a wait lasts (local time; the date too if not today)."""
    now = dt_util.now()
    until = dt_util.as_local(dt_util.utc_from_timestamp(time.time() + wait))
    shown = "%H:%M" if until.date() == now.date() else "%Y-%m-%d %H:%M"
    return {"until": until.strftime(shown)}


def text_placeholders(spec: ProviderSpec, host: str) -> dict[str, str]:
    """The provider's name, the account's control panel, its IP-block rule."""
    placeholders = {
        "provider": spec.name,
        "account_url": spec.control_panel(host),
        "permission": spec.permission or "-",
    }
    if (rule := spec.site_rule) is not None:
        placeholders |= {
            "max_failed_logins": str(rule.max_failed_logins),
            "failed_logins": str(rule.max_failed_logins - 1),
            "window_minutes": str(math.ceil(rule.window / 60)),
            "block_minutes": str(math.ceil(rule.longest_block / 60)),
        }
    return placeholders


class SmsCreditCoordinator(DataUpdateCoordinator[Balance]):
    """Fetches one account's balance, never faster than the provider allows.

    A refresh the limiter holds back keeps the state it follows: a failure
    stays a failure (retried once the wait is over), a good balance stays
    while it is younger than the update interval, and is checked again when
    it expires. At set-up, the entry's stored answer may stand in for a
    request the limiter forbids, under the same rule.
    """

    config_entry: SmsCreditConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmsCreditConfigEntry,
        *,
        client: ProviderClient,
        limiter: RateLimiter,
        store: LimitsStore,
        record: EntryRecord,
    ) -> None:
        """Initialise the coordinator of one config entry."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=timedelta(
                minutes=update_interval_minutes(entry.options, client.spec)
            ),
            # Every answer updates the entities, an unchanged balance too:
            # Last checked, the forecast and Check now's result move on.
        )
        self.client = client
        self.spec = client.spec
        self.limiter = limiter
        self._store = store
        self.record = record
        self.fetched_at: float | None = None
        """When ``data`` came from the provider (on the limiters' clock)."""
        self._last_attempt = monotonic()
        self._options = dict(entry.options)  # applied; see async_apply_options
        self.device_info = DeviceInfo(
            configuration_url=self.spec.control_panel(entry.data[CONF_HOST]),
            entry_type=DeviceEntryType.SERVICE,
            identifiers={(DOMAIN, entry.entry_id)},
            manufacturer=self.spec.name,
            name=entry.title,
        )
        """The account's service device, shared by its entities."""
        # Whether the current low period began while this coordinator has
        # been available without a break (see ``newly_low``).
        self._low_began_here = False
        self._status_shown: str | None = None
        self._retry_at: float | None = None
        """When a check the limits held back goes out (the limiters' clock)."""

    @property
    def unit(self) -> str | None:
        """The account's unit: the provider's credits, or the last answer's currency."""
        balance: Balance | None = self.data
        return self.spec.unit or (balance.currency if balance else None)

    @property
    def spending(self) -> Spending | None:
        """What the forecast learned of the account's answers."""
        return self.record.spending

    @property
    def low_by(self) -> str | None:
        """Why the credit is low: ``"threshold"``, ``"forecast"`` or ``None``.

        Under the threshold, or running out within the days the options
        say; ``None`` without an answer.
        """
        options, balance = self.config_entry.options, self.data
        if balance is None:  # before the first answer
            return None  # type: ignore[unreachable]
        if balance.amount < low_credit_threshold(options):
            return "threshold"
        held = self.record.low_since is not None
        if low_by_forecast(self.spending, low_credit_days(options), held=held):
            return "forecast"
        return None

    @property
    def low(self) -> bool:
        """Whether the credit is low (``False`` without an answer)."""
        return self.low_by is not None

    @property
    def last_checked(self) -> datetime | None:
        """When the provider last gave a good answer (survives restarts)."""
        spending = self.spending
        return None if spending is None else self.to_datetime(spending.checked_at)

    @property
    def runs_out(self) -> datetime | None:
        """When the credit reaches zero at the forecast's pace; never in the past."""
        when = None if self.spending is None else self.spending.runs_out
        return None if when is None or when <= monotonic() else self.to_datetime(when)

    @property
    def status(self) -> str:
        """What the account waits for, if anything (an enum sensor's state)."""
        if self.last_update_success:
            # A stored answer may stand in while the provider makes us wait.
            _wait, reason = self.limiter.wait()
            if reason is None or reason is WaitReason.THROTTLED:
                return STATUS_OK
            return STATUSES[reason]
        err = self.last_exception
        key = getattr(err, "translation_key", None) or self.record.rejected
        return STATUSES.get(str(key), "error")

    @staticmethod
    def to_datetime(when: float) -> datetime:
        """A time on the limiters' clock as an aware datetime."""
        return dt_util.utc_from_timestamp(to_wall(when))

    @property
    def low_since(self) -> datetime | None:
        """When the current low period began; ``None`` while the credit is not low.

        A low period begins with the first answer below the threshold and
        ends with the first at or above it: failures, reloads and restarts
        in between do not end it.
        """
        since = self.record.low_since
        return None if since is None else dt_util.utc_from_timestamp(since)

    @property
    def newly_low(self) -> bool:
        """Whether the low period began since the account was last unavailable.

        ``False`` when it continues from before a gap (an outage, a reload,
        a restart): what was low before the gap was already shown as low.
        The blueprint notifies once per low period by this.
        """
        return self._low_began_here and self.record.low_since is not None

    @callback
    @override
    def _async_refresh_finished(self) -> None:
        """A failure after a failure: Home Assistant updates no entity; Status must.

        (The credit stays unavailable; the reason may have changed.)
        """
        if not self.last_update_success and self._status_shown not in (
            None,
            STATUS_OK,
            self.status,
        ):
            self.async_update_listeners()

    @callback
    @override
    def async_update_listeners(self) -> None:
        """Follow the low period, then update the entities.

        A good answer starts or ends it; a failure is a gap.
        """
        self._status_shown = self.status
        record, low = self.record, self.low
        if not self.last_update_success or self.data is None:
            self._low_began_here = False
        elif low != (record.low_since is not None):
            record.low_since = time.time() if low else None
            self._low_began_here = low
            # A restart must not take a period for new (nor an ended one for on).
            self._store.async_save_entry(record)
        super().async_update_listeners()

    async def async_setup_refresh(self) -> None:
        """The first refresh, at set-up: test before set-up.

        While the provider makes this account wait and no stored answer may
        stand in, nothing may be sent: set-up completes with the entities
        unavailable, and the first check goes out when the wait ends (not
        later, under Home Assistant's set-up retry back-off).
        """
        wait, reason = self.limiter.wait()
        stand_in = self.record.answer
        if (
            reason is None
            or self.record.rejected
            or (stand_in is not None and stand_in.current(self._seconds))
        ):
            await self.async_config_entry_first_refresh()
            return
        # Expected, not an error: said once, at info level.
        LOGGER.info(
            "%s: set up while the provider makes it wait (%s); the first check "
            "goes out at %s",
            self.name,
            reason.value,
            wait_placeholders(wait)["until"],
        )
        self.last_update_success = False  # a known gap, not a new failure to log
        await self.async_refresh()  # retried when the wait is over

    @override
    async def _async_update_data(self) -> Balance:
        """Fetch the balance, mapping every provider error exactly once."""
        self._retry_at = None  # this is the check held back, if one was
        self.update_interval = timedelta(seconds=self._next_check())  # after a kept one
        if self.record.rejected:
            # Sending rejected credentials again would only count towards
            # an IP block: wait for reauth.
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_failed_before"
            )
        try:
            balance = await self.client.async_get_balance()
        except ThrottledError as err:
            return self._throttled(err)
        except ProviderError as err:
            self._last_attempt = monotonic()
            raise self._failed(err) from err
        self._last_attempt = self.fetched_at = monotonic()
        record = self.record
        record.answer = Answer(balance, self.fetched_at)
        unit = self.spec.unit or balance.currency
        record.spending = learn(record.spending, self.fetched_at, balance.amount, unit)
        self.update_interval = timedelta(seconds=self._next_check(now=self.fetched_at))
        record.rejected = None
        record.refusals = 0
        # The only request of its window can wait for a later write; more
        # requests in one window must survive a crash (they count at restart).
        self._store.async_save_entry(record, urgent=len(self.limiter.history) > 1)
        self._store.async_save_sites(ended=True)
        async_delete_issues(self.hass, self.config_entry.entry_id)
        return balance

    def _throttled(self, err: ThrottledError) -> Balance:
        """Nothing was sent: keep the state this refresh follows."""
        wait = err.retry_after or 0.0
        if err.reason is WaitReason.IP_BLOCKED:
            self._create_issue("ip_blocked", wait_placeholders(wait))
        kept: Answer | None = None
        if self.fetched_at is None:  # nothing fetched yet: the stored answer
            kept = self.record.answer
        elif self.last_update_success:
            kept = Answer(self.data, self.fetched_at)
        if kept is not None and kept.current(self._seconds):
            LOGGER.debug("%s: %s, keeping the balance shown", self.name, err.reason)
            self.fetched_at = kept.fetched_at
            # Checked again as soon as the limits allow, at the latest when
            # it expires, not an interval from now.
            expiry = kept.fetched_at + self._seconds - monotonic()
            due = max(1.0, min(expiry, retry_delay(wait)))
            self._retry_at = monotonic() + due
            self.update_interval = timedelta(seconds=due)
            return kept.balance
        raise UpdateFailed(
            retry_after=retry_delay(wait),
            translation_domain=DOMAIN,
            translation_key=err.reason.value,
            translation_placeholders=wait_placeholders(wait),
        ) from err

    def _failed(self, err: ProviderError) -> Exception:
        """Map a provider error to the exception Home Assistant acts on."""
        record, entry_id = self.record, self.config_entry.entry_id
        record.answer = None  # an attempt failed: no earlier answer stands in
        refused = isinstance(err, RateLimitedError)
        record.refusals = record.refusals + 1 if refused else 0
        if not isinstance(err, ProviderConnectionError | IpBlockedError):
            # The site answered: no block.
            async_delete_issues(self.hass, entry_id, ("ip_blocked",))
        key = error_key(err, self.spec)
        if isinstance(err, AuthenticationError):
            # The provider looked at the credentials: the IP address got
            # through, and this is no rate-limit refusal. Reauth is left.
            async_delete_issues(self.hass, entry_id, ("ip_not_allowed", "rate_limited"))
            record.rejected = key
            self._store.async_save_entry(record)
            self._store.async_save_sites()  # a failed login counts at the site
            return ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key=key)
        self._store.async_save_entry(record)
        self.update_interval = timedelta(
            seconds=self._next_check(failed=True, now=self._last_attempt)
        )
        if isinstance(err, IpBlockedError):
            self._store.async_save_sites()
        wait, _reason = self.limiter.wait()
        placeholders = wait_placeholders(wait)
        issue = next(issue for kind, _key, issue in ERRORS if isinstance(err, kind))
        if issue is not None:
            self._create_issue(issue, placeholders)
        if record.refusals >= RATE_LIMITED_ISSUE_AFTER:
            self._create_issue("rate_limited", {})
        else:
            async_delete_issues(self.hass, entry_id, ("rate_limited",))
        return UpdateFailed(
            retry_after=retry_delay(wait) if wait > 0 else None,
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=placeholders,
        )

    @property
    def shortest(self) -> int:
        """The fewest minutes between checks (Brevo: its entries' share)."""
        host = self.config_entry.data[CONF_HOST]
        entries = len(entries_sharing(self.hass, self.spec, host))
        return shortest_interval(self.spec, entries)

    @property
    def _seconds(self) -> float:
        """The longest time between checks: the option, at least ``shortest``."""
        minutes = update_interval_minutes(self.config_entry.options, self.spec)
        return 60.0 * max(minutes, self.shortest)

    def _next_check(self, *, failed: bool = False, now: float | None = None) -> float:
        """Seconds from now to the next check.

        At the latest an interval after the last attempt; sooner as the
        forecast says (adaptive polling), and after a failure at the latest
        in ``RETRY_FAILED``.
        """
        options, now = self.config_entry.options, now or monotonic()
        due = self._last_attempt + self._seconds - now
        if self._retry_at is not None:  # a held-back check keeps its time
            due = min(due, self._retry_at - now)
        if adaptive_polling(options):
            forecast = next_check(
                self.spending,
                low_credit_threshold(options),
                low_credit_days(options),
                self._seconds,
                now,
            )
            due = min(due, forecast, RETRY_FAILED) if failed else min(due, forecast)
        if self.spec.rate_limit.shared:  # never sooner than this entry's share
            due = max(due, self._last_attempt + 60.0 * self.shortest - now)
        return max(1.0, due)

    @callback
    def async_apply_options(self) -> None:
        """Apply changed options to the running coordinator: no request.

        The next check moves to when the new options put it (at the latest
        one new interval after the last attempt, at the earliest in a
        second); a new interval also applies to how long the balance shown
        may stand in. A new threshold reaches the entities at once.
        """
        if self.config_entry.options == self._options:
            return  # another change of the entry (its state, its data)
        self._options = dict(self.config_entry.options)
        self.update_interval = timedelta(seconds=self._next_check())  # this once
        if self.last_update_success and self.data is not None:
            # Reschedules the next poll, and updates the entities.
            self.async_set_updated_data(self.data)
            return
        self.async_update_listeners()

    @callback
    def _create_issue(self, kind: str, placeholders: dict[str, str]) -> None:
        entry = self.config_entry
        host = entry.data[CONF_HOST]
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            f"{kind}_{entry.entry_id}",
            data={"entry_id": entry.entry_id},
            is_fixable=kind == "ip_not_allowed",
            # What the provider last answered, kept through restarts until
            # an answer says otherwise (a set-up may send nothing).
            is_persistent=True,
            learn_more_url=self.spec.help_page(host),
            severity=ir.IssueSeverity.ERROR,
            translation_key=kind,
            translation_placeholders={
                "title": entry.title,
                **text_placeholders(self.spec, host),
                **placeholders,
            },
        )
