"""Data model and error vocabulary shared by every provider client."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import aiohttp

    from .client import ProviderClient
    from .limiter import RateLimiter


@dataclass(frozen=True, slots=True)
class Balance:
    """The credit of one account, as the provider reported it.

    ``currency`` is always a valid ISO 4217 code (legacy spellings such as
    SMSC's ``RUR`` are normalised). ``credit_limit`` is ``None`` when the
    provider does not report one.
    """

    amount: Decimal
    currency: str
    credit_limit: Decimal | None = None


class FieldKind(StrEnum):
    """How a credential field is entered and kept."""

    TEXT = "text"
    PASSWORD = "password"  # noqa: S105 - the name of a kind, not a secret


@dataclass(frozen=True, slots=True)
class CredentialField:
    """One field the user fills in for an authentication method."""

    key: str
    kind: FieldKind = FieldKind.TEXT

    @property
    def secret(self) -> bool:
        """Whether the value must never be logged or shown."""
        return self.kind is FieldKind.PASSWORD


@dataclass(frozen=True, slots=True)
class AuthMethod:
    """A way to authenticate against a provider.

    ``account_field`` names the field that identifies the account (never a
    secret): it goes into unique IDs, titles and rate-limiter keys.
    """

    key: str
    fields: tuple[CredentialField, ...]
    account_field: str


MAX_RETRY_AFTER = 86400.0
"""Ceiling on any wait a provider asks for, so one answer cannot stop polling."""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A provider's documented ceiling for balance requests per login.

    ``longest_pause`` is the longest the provider ever makes a login wait
    (a ``Retry-After``, a rate-limit refusal): no stored or learnt pause
    lasts longer, whatever the clock did.
    """

    max_requests: int
    period: float
    max_concurrent: int
    longest_pause: float = MAX_RETRY_AFTER


@dataclass(frozen=True, slots=True)
class SiteRule:
    """What a provider does to the source IP address at one of its sites.

    After ``max_failed_logins`` failed logins within ``window`` seconds the
    provider blocks the address (SMSC: 5 in 30 minutes). The limiter never
    makes the failure that would reach it. A block lasts at most
    ``longest_block`` seconds: no stored or computed block waits longer.
    """

    max_failed_logins: int
    window: float
    longest_block: float


class WaitReason(StrEnum):
    """Why the limiter holds a request back (also a translation key)."""

    IP_BLOCKED = "ip_blocked"
    """The provider blocked the source IP address at this site."""
    FAILED_LOGINS = "failed_logins"
    """One more failed login at this site would make the provider block the IP."""
    RATE_LIMITED = "rate_limited"
    """The provider asked this login to wait."""
    THROTTLED = "throttled"
    """The login's request window (or its requests in flight) is full."""


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """Everything the integration needs to know about one provider."""

    key: str
    name: str
    hosts: tuple[str, ...]
    auth_methods: tuple[AuthMethod, ...]
    rate_limit: RateLimit
    panel_url: str
    """The control panel, where accounts log in; ``{site}`` is the account's
    own site (``https://smsc.kz``)."""
    client_factory: Callable[..., ProviderClient] = field(repr=False)
    short_name: str = ""
    """A short name for titles (``SMSC · acme``); ``name`` when empty."""
    site_rule: SiteRule | None = None
    """What the provider applies per source IP at a site, if anything."""
    help_url: str = ""
    """A page that explains the provider's errors, like ``panel_url``; empty:
    the provider has none, and its control panel is named instead."""

    def site(self, host: str) -> str:
        """The site a base URL belongs to: where per-IP rules apply.

        The host name in lower case, without ``www.`` and without the backup
        prefixes ``www2.`` … ``www5.`` (the same service), e.g. ``smsc.ru``.
        """
        name = (urlsplit(host.strip()).hostname or "").rstrip(".")
        for prefix in ("www.", "www2.", "www3.", "www4.", "www5."):
            if name.startswith(prefix):
                name = name.removeprefix(prefix)
                break
        return f"{self.key}|{name}"

    def own_site(self, host: str) -> str | None:
        """The provider's own site (one of ``hosts``) that ``host`` belongs to.

        ``None`` for another server (a reseller's).
        """
        site = self.site(host)
        return next((own for own in self.hosts if self.site(own) == site), None)

    def control_panel(self, host: str) -> str:
        """Where the account at ``host`` logs in to its control panel.

        A reseller's server: its own root, since its pages are unknown.
        """
        if (site := self.own_site(host)) is None:
            # Host and port only: an address stored by an early release may
            # hold a login and password (``https://user:pw@host``).
            parts = urlsplit(host.strip())
            name = parts.hostname or ""
            if ":" in name:
                name = f"[{name}]"  # an IPv6 address
            port = f":{parts.port}" if parts.port is not None else ""
            return f"{parts.scheme.lower()}://{name}{port}/"
        return self.panel_url.format(site=site)

    def help_page(self, host: str) -> str:
        """A page that explains the provider's errors, else the control panel."""
        if self.help_url and (site := self.own_site(host)) is not None:
            return self.help_url.format(site=site)
        return self.control_panel(host)

    def login_key(self, host: str, login: str) -> str:
        """The key of one login's request window at its site.

        The login in any case; with an API key, the name the user gave it
        (never the key). Two entries that share it share one window, which
        can only make the integration send less.
        """
        return f"{self.site(host)}|{login.strip().casefold()}"

    @property
    def title_name(self) -> str:
        """The name to show in titles."""
        return self.short_name or self.name

    @property
    def default_host(self) -> str:
        """The base URL used unless the user picks another one."""
        return self.hosts[0]

    def auth_method(self, key: str) -> AuthMethod:
        """Return the authentication method called ``key``."""
        for method in self.auth_methods:
            if method.key == key:
                return method
        raise KeyError(key)

    def create_client(
        self,
        session: aiohttp.ClientSession,
        *,
        host: str,
        auth_method: str,
        credentials: Mapping[str, str],
        timeout: float = 10.0,
        limiter: RateLimiter | None = None,
    ) -> ProviderClient:
        """Build a client for one account."""
        return self.client_factory(
            session,
            host=host,
            auth_method=auth_method,
            credentials=credentials,
            timeout=timeout,
            limiter=limiter,
        )


class ProviderError(Exception):
    """Base of every error a provider client raises.

    Messages never contain credentials, nor anything derived from them.
    """


class AuthenticationError(ProviderError):
    """The provider rejected the credentials.

    ``ip_maybe_not_allowed`` is true where the provider uses the same answer
    for a source IP that is not on the account's allow-list (SMSC error 2).
    """

    def __init__(self, message: str, *, ip_maybe_not_allowed: bool = False) -> None:
        """Initialise the error."""
        super().__init__(message)
        self.ip_maybe_not_allowed = ip_maybe_not_allowed


class IpNotAllowedError(ProviderError):
    """The request came from an IP that is not on the account's allow-list."""


class _RetryAfterError(ProviderError):
    """An error that says when the next attempt may be made (seconds)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        """Initialise the error."""
        super().__init__(message)
        self.retry_after = retry_after


class IpBlockedError(_RetryAfterError):
    """The provider temporarily blocked the source IP address."""


class RateLimitedError(_RetryAfterError):
    """The provider refused the request because of its rate limit."""


class ThrottledError(_RetryAfterError):
    """Sending now would exceed the provider's limits, or a wait it imposed.

    Raised by the login's rate limiter before any request is sent;
    ``retry_after`` says when the next request is allowed and ``reason`` why.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        reason: WaitReason = WaitReason.THROTTLED,
    ) -> None:
        """Initialise the error."""
        super().__init__(message, retry_after=retry_after)
        self.reason = reason


class ProviderConnectionError(ProviderError):
    """The provider could not be reached."""


class ProviderTimeoutError(ProviderConnectionError):
    """The provider did not answer in time."""


class ProviderServerError(ProviderError):
    """The provider reported an error on its side, or rejected the request."""


class MalformedResponseError(ProviderError):
    """The provider's answer could not be understood."""
