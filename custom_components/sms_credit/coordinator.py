"""The coordinator: one per account, the one place provider errors are mapped."""

from __future__ import annotations

from datetime import timedelta
import time

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .accounts import AccountState, AccountStore
from .const import (
    CONF_UPDATE_INTERVAL,
    DEFAULT_UPDATE_INTERVAL,
    DOMAIN,
    ISSUE_IP_BLOCKED,
    ISSUE_IP_NOT_ALLOWED,
    ISSUE_RATE_LIMITED,
    LOGGER,
    RATE_LIMITED_ISSUE_AFTER,
)
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
    ThrottledError,
)

type SmsCreditConfigEntry = ConfigEntry[SmsCreditCoordinator]


def issue_id(kind: str, entry_id: str) -> str:
    """Return the repair issue ID of ``kind`` for one config entry."""
    return f"{kind}_{entry_id}"


def update_interval(entry: ConfigEntry) -> timedelta:
    """Return the entry's update interval from its options."""
    return timedelta(
        minutes=entry.options.get(CONF_UPDATE_INTERVAL, DEFAULT_UPDATE_INTERVAL)
    )


def auth_error_key(err: AuthenticationError) -> str:
    """Return the translation key that explains a rejected login."""
    return "invalid_auth_or_ip" if err.ip_maybe_not_allowed else "invalid_auth"


# Most specific first: the translation key (shared by the config flow's form
# errors and by exceptions) for each kind of provider error.
_ERROR_KEYS: tuple[tuple[type[ProviderError], str], ...] = (
    (IpBlockedError, "ip_blocked"),
    (IpNotAllowedError, "ip_not_allowed"),
    (RateLimitedError, "rate_limited"),
    (ThrottledError, "rate_limited"),
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


def minutes(seconds: float | None) -> str:
    """Format a wait for people: whole minutes, at least one."""
    return str(max(1, round((seconds or 0) / 60)))


class SmsCreditCoordinator(DataUpdateCoordinator[Balance]):
    """Fetches one account's balance, never faster than the provider allows.

    Requests go through the account's rate limiter, which lives in the
    :class:`AccountStore` and so outlives this coordinator. When the limiter
    holds a request back, the last good balance is served: the integration's
    own throttling never makes entities unavailable. When the provider asked
    to wait (an IP block, a rate-limit refusal), nothing is sent until the
    wait is over, and entities stay unavailable meanwhile.
    """

    config_entry: SmsCreditConfigEntry

    def __init__(
        self,
        hass: HomeAssistant,
        entry: SmsCreditConfigEntry,
        *,
        spec: ProviderSpec,
        client: ProviderClient,
        account: AccountState,
        store: AccountStore,
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
        self.account = account
        self._store = store
        self._initial = True

    async def _async_update_data(self) -> Balance:
        """Fetch the balance, mapping every provider error exactly once."""
        account = self.account
        if account.auth_failed:
            # The provider rejected these credentials: sending them again
            # would only count towards an IP block. Wait for reauth.
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="auth_failed_before"
            )
        if self._initial and (balance := self._fresh_stored_balance()):
            # Set up again (reload, options, restart) within the interval:
            # the balance fetched before is current, no request needed.
            self._initial = False
            LOGGER.debug("%s: the balance fetched before is still fresh", self.name)
            return balance
        self._initial = False
        try:
            balance = await self.client.async_get_balance()
        except ThrottledError as err:
            return self._throttled(err)  # nothing was sent: nothing to store
        except ProviderError as err:
            self._store.async_schedule_save()
            raise self._failed(err) from err
        self._succeeded(balance)
        # The only request of its window can wait for a later write; more
        # requests in one window must survive a crash (they count at restart).
        self._store.async_schedule_save(urgent=len(account.limiter.history) > 1)
        return balance

    def _fresh_stored_balance(self) -> Balance | None:
        """The balance kept from before a reload, if younger than the interval."""
        account = self.account
        if account.balance is None or account.fetched_at is None:
            return None
        assert self.update_interval is not None  # noqa: S101 - always set
        age = time.time() - account.fetched_at
        if 0 <= age < self.update_interval.total_seconds():
            return account.balance
        return None

    def _throttled(self, err: ThrottledError) -> Balance:
        """The limiter held the request back: no request was sent."""
        account = self.account
        if (pause := account.active_pause) is not None:
            # The provider asked to wait: the failure it reported still holds.
            self._ensure_pause_issue()
            raise UpdateFailed(
                retry_after=err.retry_after,
                translation_domain=DOMAIN,
                translation_key=pause,
                translation_placeholders={"minutes": minutes(err.retry_after)},
            ) from err
        if account.balance is not None:
            LOGGER.debug(
                "%s: request limit reached, keeping the last balance for %.0f s",
                self.name,
                err.retry_after or 0,
            )
            return account.balance
        raise UpdateFailed(
            retry_after=err.retry_after,
            translation_domain=DOMAIN,
            translation_key="throttled",
            translation_placeholders={"seconds": f"{err.retry_after or 0:.0f}"},
        ) from err

    def _failed(self, err: ProviderError) -> Exception:
        """Map a provider error to the exception Home Assistant acts on."""
        account = self.account
        account.record_error(err)
        if isinstance(err, AuthenticationError):
            account.auth_failed = True
            return ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key=auth_error_key(err)
            )
        key = error_key(err)
        placeholders: dict[str, str] = {}
        retry_after: float | None = None
        if account.active_pause is not None:
            retry_after = account.limiter.next_allowed_in()
            placeholders["minutes"] = minutes(retry_after)
        if isinstance(err, IpBlockedError):
            self._create_issue(ISSUE_IP_BLOCKED, placeholders)
        elif isinstance(err, IpNotAllowedError):
            self._create_issue(ISSUE_IP_NOT_ALLOWED, {}, fixable=True)
        elif isinstance(err, RateLimitedError):
            account.rate_limited_in_a_row += 1
            if account.rate_limited_in_a_row >= RATE_LIMITED_ISSUE_AFTER:
                self._create_issue(ISSUE_RATE_LIMITED, {})
        return UpdateFailed(
            retry_after=retry_after,
            translation_domain=DOMAIN,
            translation_key=key,
            translation_placeholders=placeholders,
        )

    def _succeeded(self, balance: Balance) -> None:
        """A good answer: remember it, and clear what it proves resolved."""
        self.account.record_success(balance)
        for kind in (ISSUE_IP_BLOCKED, ISSUE_IP_NOT_ALLOWED, ISSUE_RATE_LIMITED):
            ir.async_delete_issue(
                self.hass, DOMAIN, issue_id(kind, self.config_entry.entry_id)
            )

    @callback
    def _ensure_pause_issue(self) -> None:
        """Show the IP-block issue again after a restart during the block."""
        if self.account.active_pause == ISSUE_IP_BLOCKED:
            remaining = self.account.limiter.paused_until - time.time()
            self._create_issue(ISSUE_IP_BLOCKED, {"minutes": minutes(remaining)})

    @callback
    def _create_issue(
        self, kind: str, placeholders: dict[str, str], *, fixable: bool = False
    ) -> None:
        entry = self.config_entry
        until = dt_util.as_local(
            dt_util.utc_from_timestamp(self.account.limiter.paused_until)
        )
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id(kind, entry.entry_id),
            data={"entry_id": entry.entry_id},
            is_fixable=fixable,
            learn_more_url=self.spec.account_url,
            severity=ir.IssueSeverity.ERROR,
            translation_key=kind,
            translation_placeholders={
                "title": entry.title,
                "provider": self.spec.name,
                "account_url": self.spec.account_url,
                "until": until.strftime("%H:%M"),
                **placeholders,
            },
        )
