"""The coordinator: one per account, the one owner of its balance and health.

``data`` is the provider's last answer; ``last_update_success`` and
``last_exception`` are the account's health; :attr:`~SmsCreditCoordinator.low`
and the low period follow from the answer and the threshold. Entities,
diagnostics and repairs read them here, and repair issues are raised and
cleared only here.
What the provider imposes (waits, windows, rejected credentials) lives in
the :class:`~.store.LimitsStore`, which outlives this coordinator.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
import math
import time
from typing import override

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .const import (
    DOMAIN,
    ISSUE_IP_BLOCKED,
    ISSUE_IP_NOT_ALLOWED,
    ISSUE_RATE_LIMITED,
    LOGGER,
    RATE_LIMITED_ISSUE_AFTER,
    REJECTION_INVALID_AUTH,
    REJECTION_INVALID_AUTH_OR_IP,
)
from .helpers import low_credit_threshold, update_interval_minutes
from .providers import (
    AuthenticationError,
    Balance,
    IpBlockedError,
    IpNotAllowedError,
    MalformedResponseError,
    ProviderClient,
    ProviderConnectionError,
    ProviderError,
    ProviderSpec,
    ProviderTimeoutError,
    RateLimitedError,
    RateLimiter,
    ThrottledError,
    WaitReason,
)
from .providers.limiter import monotonic, to_wall
from .store import Answer, EntryRecord, LimitsStore

type SmsCreditConfigEntry = ConfigEntry[SmsCreditCoordinator]

ISSUES = (ISSUE_IP_BLOCKED, ISSUE_IP_NOT_ALLOWED, ISSUE_RATE_LIMITED)


def issue_id(kind: str, entry_id: str) -> str:
    """Return the repair issue ID of ``kind`` for one config entry."""
    return f"{kind}_{entry_id}"


@callback
def async_delete_issues(hass: HomeAssistant, entry_id: str) -> None:
    """Delete every repair issue of one config entry."""
    for kind in ISSUES:
        ir.async_delete_issue(hass, DOMAIN, issue_id(kind, entry_id))


def update_interval(entry: ConfigEntry) -> timedelta:
    """Return the entry's update interval from its options."""
    return timedelta(minutes=update_interval_minutes(entry.options))


def auth_error_key(err: AuthenticationError) -> str:
    """Return the translation key that explains a rejected login."""
    if err.ip_maybe_not_allowed:
        return REJECTION_INVALID_AUTH_OR_IP
    return REJECTION_INVALID_AUTH


# Most specific first: the translation key (shared by the config flow's form
# errors and by exceptions) for each kind of provider error.
_ERROR_KEYS: tuple[tuple[type[ProviderError], str], ...] = (
    (IpBlockedError, "ip_blocked"),
    (IpNotAllowedError, "ip_not_allowed"),
    (RateLimitedError, "rate_limited"),
    (ProviderTimeoutError, "timeout"),
    (ProviderConnectionError, "cannot_connect"),
    (MalformedResponseError, "malformed_response"),
)


def error_key(err: ProviderError) -> str:
    """Return the translation key that explains ``err`` to the user."""
    if isinstance(err, AuthenticationError):
        return auth_error_key(err)
    for kind, key in _ERROR_KEYS:
        if isinstance(err, kind):
            return key
    return "provider_error"


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


def rule_placeholders(spec: ProviderSpec) -> dict[str, str]:
    """The provider's own rule for blocking an IP address, for the texts."""
    rule = spec.site_rule
    if rule is None:
        return {}
    return {
        "max_failed_logins": str(rule.max_failed_logins),
        "failed_logins": str(rule.max_failed_logins - 1),
        "window_minutes": str(math.ceil(rule.window / 60)),
        "block_minutes": str(math.ceil(rule.longest_block / 60)),
    }


def _capped(answer: Answer | None, interval: timedelta) -> Answer | None:
    """``answer``, current for at most ``interval`` after it was fetched."""
    if answer is None:
        return None
    until = min(answer.valid_until, answer.fetched_at + interval.total_seconds())
    return replace(answer, valid_until=until)


class SmsCreditCoordinator(DataUpdateCoordinator[Balance]):
    """Fetches one account's balance, never faster than the provider allows.

    A refresh the limiter holds back keeps the state it follows: a failure
    stays a failure (with ``retry_after`` past the wait), a good balance
    stays while it is younger than the interval it was fetched under. At
    set-up, the entry's stored answer may stand in for a request the limiter
    forbids, under the same rule; otherwise set-up asks the provider.
    """

    config_entry: SmsCreditConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmsCreditConfigEntry,
        *,
        spec: ProviderSpec,
        client: ProviderClient,
        limiter: RateLimiter,
        store: LimitsStore,
    ) -> None:
        """Initialise the coordinator of one config entry."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=entry.title,
            update_interval=update_interval(entry),
            always_update=False,
        )
        self.spec = spec
        self.client = client
        self.limiter = limiter
        self._store = store
        self.record: EntryRecord = store.entry(entry.entry_id)
        self.answer: Answer | None = None  # what ``data`` came from
        self._last_attempt = monotonic()
        # Whether the current low period began while this coordinator has
        # been available without a break (see ``newly_low``).
        self._low_began_here = False

    @property
    def balance(self) -> Balance | None:
        """``data``, typed as it is: ``None`` until the provider first answered.

        That is the case after a set-up during a wait (entities unavailable).
        """
        return self.data

    @property
    def control_panel(self) -> str:
        """The control panel of the account's own site."""
        return self.spec.control_panel(self.config_entry.data[CONF_HOST])

    @property
    def low(self) -> bool:
        """Whether the last answer is below the threshold (``False`` without one)."""
        balance = self.balance
        threshold = low_credit_threshold(self.config_entry.options)
        return balance is not None and balance.amount < threshold

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
    def async_update_listeners(self) -> None:
        """Follow the low period, then update the entities."""
        self._follow_low_period()
        super().async_update_listeners()

    def _follow_low_period(self) -> None:
        """Start or end the low period on a good answer; a failure is a gap."""
        if not self.last_update_success or self.balance is None:
            self._low_began_here = False
            return
        record, low = self.record, self.low
        if low and record.low_since is None:
            record.low_since = time.time()
            self._low_began_here = True
        elif not low and record.low_since is not None:
            record.low_since = None
            self._low_began_here = False
        else:
            return
        # A restart must not take a period for new (nor an ended one for on).
        self._store.async_schedule_save()

    async def async_setup_refresh(self) -> None:
        """The first refresh, at set-up.

        While the provider makes this account wait and no stored answer may
        stand in, nothing may be sent: set-up completes with the entities
        unavailable, and the first check goes out when the wait ends (not
        minutes later, under Home Assistant's set-up retry back-off).
        Otherwise set-up asks the provider (and fails if that fails).
        """
        record = self.record
        wait, reason = self.limiter.wait()
        standing = record.current_answer is not None
        if reason is not None and not standing and not record.rejected:
            # Expected, not an error: said once, at info level (a restart
            # during a block must not log an error each time).
            LOGGER.info(
                "%s: set up while the provider makes it wait (%s); the first "
                "check goes out at %s",
                self.name,
                reason.value,
                wait_placeholders(wait)["until"],
            )
            await self._async_refresh(log_failures=False)  # retried after the wait
            return
        await self.async_config_entry_first_refresh()

    @override
    async def _async_update_data(self) -> Balance:
        """Fetch the balance, mapping every provider error exactly once."""
        if self.record.rejected:
            # The provider rejected these credentials: sending them again
            # would only count towards an IP block. Wait for reauth.
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
        self._last_attempt = monotonic()
        self._succeeded(balance)
        return balance

    def _throttled(self, err: ThrottledError) -> Balance:
        """Nothing was sent: keep the state this refresh follows."""
        if err.reason is WaitReason.IP_BLOCKED:
            self._create_issue(
                ISSUE_IP_BLOCKED, wait_placeholders(err.retry_after or 0)
            )
        answer = self.answer if self.data is not None else self.record.answer
        if (
            (self.last_update_success or self.data is None)
            and answer
            and answer.current
        ):
            LOGGER.debug(
                "%s: %s, keeping the balance fetched at %s",
                self.name,
                err.reason.value,
                dt_util.utc_from_timestamp(to_wall(answer.fetched_at)).isoformat(),
            )
            self.answer = answer
            # Checked again when it expires, not an interval from now.
            self._retry_after = max(1.0, answer.valid_until - monotonic())
            return answer.balance
        raise UpdateFailed(
            retry_after=retry_delay(err.retry_after or 0),
            translation_domain=DOMAIN,
            translation_key=err.reason.value,
            translation_placeholders=wait_placeholders(err.retry_after or 0),
        ) from err

    def _failed(self, err: ProviderError) -> Exception:
        """Map a provider error to the exception Home Assistant acts on."""
        record = self.record
        record.answer = None  # an attempt failed: no earlier answer stands in
        self.answer = None
        refused = isinstance(err, RateLimitedError)
        record.refusals = record.refusals + 1 if refused else 0
        self._store.async_schedule_save()
        if not isinstance(err, ProviderConnectionError | IpBlockedError):
            # The site answered: whatever blocked it is over.
            self._delete_issue(ISSUE_IP_BLOCKED)
        if isinstance(err, AuthenticationError):
            # The provider looked at the credentials: the IP address got
            # through, and this is no rate-limit refusal. Reauth is left.
            self._delete_issue(ISSUE_IP_NOT_ALLOWED)
            self._delete_issue(ISSUE_RATE_LIMITED)
            record.rejected = auth_error_key(err)
            return ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key=auth_error_key(err)
            )
        wait, _reason = self.limiter.wait()
        placeholders = wait_placeholders(wait)
        if isinstance(err, IpBlockedError):
            self._create_issue(ISSUE_IP_BLOCKED, placeholders)
        elif isinstance(err, IpNotAllowedError):
            self._create_issue(ISSUE_IP_NOT_ALLOWED, {}, fixable=True)
        if record.refusals >= RATE_LIMITED_ISSUE_AFTER:
            self._create_issue(ISSUE_RATE_LIMITED, {})
        else:
            self._delete_issue(ISSUE_RATE_LIMITED)
        return UpdateFailed(
            retry_after=retry_delay(wait) if wait > 0 else None,
            translation_domain=DOMAIN,
            translation_key=error_key(err),
            translation_placeholders=placeholders,
        )

    def _succeeded(self, balance: Balance) -> None:
        """A good answer: remember it, and clear what it proves resolved."""
        now = monotonic()
        assert self.update_interval is not None  # noqa: S101 - always set
        self.answer = self.record.answer = Answer(
            balance, now, now + self.update_interval.total_seconds()
        )
        self.record.rejected = None
        self.record.refusals = 0
        # The only request of its window can wait for a later write; more
        # requests in one window must survive a crash (they count at restart).
        self._store.async_schedule_save(urgent=len(self.limiter.history) > 1)
        async_delete_issues(self.hass, self.config_entry.entry_id)

    @callback
    def async_apply_options(self) -> None:
        """Apply changed options to the running coordinator: no request.

        A new interval moves the next poll to one new interval after the
        last attempt (at the earliest in a second), and a shorter one also
        shortens how long the balance shown may stand in; a new threshold
        reaches the entities at once.
        """
        interval = update_interval(self.config_entry)
        if interval != self.update_interval:
            self.update_interval = interval
            self.answer = _capped(self.answer, interval)
            self.record.answer = _capped(self.record.answer, interval)
            due = self._last_attempt + interval.total_seconds() - monotonic()
            self._retry_after = max(1.0, due)  # this once; then the interval
            self._schedule_refresh()
        self.async_update_listeners()

    @callback
    def _delete_issue(self, kind: str) -> None:
        ir.async_delete_issue(
            self.hass, DOMAIN, issue_id(kind, self.config_entry.entry_id)
        )

    @callback
    def _create_issue(
        self, kind: str, placeholders: dict[str, str], *, fixable: bool = False
    ) -> None:
        entry = self.config_entry
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id(kind, entry.entry_id),
            data={"entry_id": entry.entry_id},
            is_fixable=fixable,
            # What the provider last answered, kept through restarts until
            # an answer says otherwise (a set-up may send nothing).
            is_persistent=True,
            learn_more_url=self.spec.help_page(entry.data[CONF_HOST]),
            severity=ir.IssueSeverity.ERROR,
            translation_key=kind,
            translation_placeholders={
                "title": entry.title,
                "provider": self.spec.name,
                "account_url": self.control_panel,
                **rule_placeholders(self.spec),
                **placeholders,
            },
        )
