"""What a provider declares, what it exchanges, and the errors it raises."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
import re
from urllib.parse import urlsplit

MAX_RETRY_AFTER = 86400.0
"""Ceiling on any wait a provider asks for, so one answer cannot stop polling."""


def normalize_host(host: str) -> str:
    """Return a base URL with scheme and host in lower case, no trailing slash."""
    scheme, netloc, path = urlsplit(host.strip())[:3]
    return f"{scheme.lower()}://{netloc.lower()}{path.rstrip('/')}"


@dataclass(frozen=True, slots=True)
class Balance:
    """The credit of one account: ``currency`` is ISO 4217, "" for credits."""

    amount: Decimal
    currency: str = ""
    credit_limit: Decimal | None = None


@dataclass(frozen=True, slots=True)
class CredentialField:
    """A login's value: stored as ``key``, typed as ``label`` (and ``transform``).

    The label ``name`` declares a field that only names the account in Home
    Assistant and is never sent: the secrets are then the account's identity.
    ``pattern``: what the whole (stripped) value must be, else it is not
    sent (a value that goes into the URL's path).
    """

    key: str
    secret: bool = False
    label: str = ""
    transform: Callable[[str], str] | None = None
    pattern: str = ""

    @property
    def form_key(self) -> str:
        """The key of the field in the form."""
        return self.label or self.key


@dataclass(frozen=True, slots=True)
class AuthMethod:
    """A way to log in; ``account_field`` names the account (never a secret)."""

    key: str
    fields: tuple[CredentialField, ...]
    account_field: str

    @property
    def account(self) -> CredentialField:
        """The field that names the account."""
        return next(f for f in self.fields if f.key == self.account_field)

    @property
    def names_only(self) -> bool:
        """Whether the account field only names the account (its label is ``name``).

        It is never sent: the secrets are then the account's identity.
        """
        return self.account.label == "name"


def login(key: str, account: str, *secrets: str, pattern: str = "") -> AuthMethod:
    """A login: one field names the account (matching ``pattern``), then secrets."""
    fields = (
        CredentialField(account, pattern=pattern),
        *(CredentialField(s, secret=True) for s in secrets),
    )
    return AuthMethod(key, fields, account_field=account)


def key_login(key: str, secret: str) -> AuthMethod:
    """A secret alone (a key, a token); the login only names the account."""
    fields = (
        CredentialField("username", label="name"),
        CredentialField(secret, secret=True),
    )
    return AuthMethod(key, fields, account_field="username")


API_KEY_LOGIN = key_login("api_key", "api_key")
"""An API key alone; the login only names the account in Home Assistant."""


@dataclass(frozen=True, slots=True)
class Site:
    """A base URL of the provider, its country ("" = international), backups.

    ``panel``: the accounts' control panel where it differs by site (else
    the provider's ``panel_url``).
    """

    url: str
    country: str = ""
    backups: tuple[str, ...] = ()
    panel: str = ""


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Balance requests per login, and its longest wait (defaults: our own)."""

    max_requests: int = 10
    period: float = 60.0
    max_concurrent: int = 2
    longest_pause: float = MAX_RETRY_AFTER
    shared: bool = False
    """One window for every login at a site: the provider counts requests
    per account, and which keys share an account cannot be told (Brevo)."""


@dataclass(frozen=True, slots=True)
class SiteRule:
    """So many failed logins in ``window`` s block the IP, for a time at most."""

    max_failed_logins: int
    window: float
    longest_block: float


class WaitReason(StrEnum):
    """Why the limiter holds a request back (also a translation key)."""

    IP_BLOCKED = "ip_blocked"
    FAILED_LOGINS = "failed_logins"
    RATE_LIMITED = "rate_limited"
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class Request:
    """One HTTP request for the balance: ``url`` holds any query string."""

    method: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)
    data: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Response:
    """What came back: the status, the headers, the (capped) body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True, kw_only=True)
class ProviderSpec:
    """One provider: a declaration plus two pure functions.

    Money comes in a currency the answer names, or in the fixed ``currency``;
    credits in the provider's own ``unit`` (never money), whose low-credit
    threshold starts at ``default_threshold``. ``permission`` names what a
    key needs to read the balance, where keys have permissions.

    ``build_request`` raises ``ValueError`` for credentials it cannot send;
    ``read_answer``, whatever the answer, a :class:`Balance` or a ProviderError.
    """

    key: str
    name: str
    short_name: str = ""
    sites: tuple[Site, ...]
    auth_methods: tuple[AuthMethod, ...]
    rate_limit: RateLimit = RateLimit()
    site_rule: SiteRule | None = None
    currency: str | None = None
    unit: str | None = None
    default_threshold: int = 10
    permission: str = ""
    panel_url: str
    help_url: str = ""
    own_host: str = ""
    """An example of the base URL each account has of its own (Infobip's),
    typed as the server's address; ``sites`` hold the shared one."""
    build_request: Callable[[str, str, Mapping[str, str]], Request]
    read_answer: Callable[[Response], Balance]

    @property
    def hosts(self) -> tuple[str, ...]:
        """The base URLs of the provider's own sites."""
        return tuple(site.url for site in self.sites)

    def site(self, host: str) -> str:
        """Where per-IP rules apply: the host name without ``www.`` … ``www5.``."""
        name = (urlsplit(host.strip()).hostname or "").rstrip(".")
        return f"{self.key}|{re.sub(r'^www[2-5]?\.', '', name)}"

    def own_site(self, host: str) -> str | None:
        """The provider's own base URL ``host`` belongs to; ``None`` for a reseller."""
        site = self.site(host)
        return next(
            (
                own
                for own in self.hosts
                # An account's own host under the site (Infobip's base URLs).
                if site == (mine := self.site(own))
                or site.endswith("." + mine.partition("|")[2])
            ),
            None,
        )

    def backups(self, host: str) -> tuple[str, ...]:
        """Base URLs to try in turn when ``host`` (exactly a site) is unreachable."""
        url = normalize_host(host).replace("://www.", "://", 1)
        return next((site.backups for site in self.sites if site.url == url), ())

    def control_panel(self, host: str) -> str:
        """Where the account at ``host`` logs in; a reseller's own root."""
        if (site := self.own_site(host)) is None:
            # Host and port only: a stored address may hold a login and password.
            scheme, netloc = urlsplit(host.strip())[:2]
            return f"{scheme.lower()}://{netloc.rpartition('@')[2].lower()}/"
        panel = next(own.panel for own in self.sites if own.url == site)
        return panel or self.panel_url.format(site=site)

    def help_page(self, host: str) -> str:
        """A page that explains the provider's errors, else the control panel."""
        if self.help_url and (site := self.own_site(host)) is not None:
            return self.help_url.format(site=site)
        return self.control_panel(host)

    def login_key(self, host: str, login: str) -> str:
        """The key of one login's request window at its site (login casefolded)."""
        login = "*" if self.rate_limit.shared else login.strip().casefold()
        return f"{self.site(host)}|{login}"

    def auth_method(self, key: str) -> AuthMethod:
        """Return the login method called ``key`` (``KeyError`` if none)."""
        return {method.key: method for method in self.auth_methods}[key]


class ProviderError(Exception):
    """Base of every error a client raises; no message holds a secret."""


class AuthenticationError(ProviderError):
    """The provider rejected the credentials (or maybe the IP: SMSC error 2)."""

    def __init__(self, message: str, *, ip_maybe_not_allowed: bool = False) -> None:
        """Initialise the error."""
        super().__init__(message)
        self.ip_maybe_not_allowed = ip_maybe_not_allowed


class AccessDeniedError(AuthenticationError):
    """The credentials were accepted but may not read the balance.

    ``field``: the credential to blame (a key that lacks the declared
    ``permission``), if the answer says.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        """Initialise the error."""
        super().__init__(message)
        self.field = field


class NoBalanceError(ProviderError):
    """The account keeps no balance of its own (a sub-account): ``field`` names it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        """Initialise the error."""
        super().__init__(message)
        self.field = field


class PostpaidError(NoBalanceError):
    """The account is billed afterwards: it has no prepaid credit to watch."""


class WrongSiteError(ProviderError):
    """The account is served by another of the provider's sites (Mobizon)."""


class IpNotAllowedError(ProviderError):
    """The request came from an IP that is not on the account's allow-list."""


class _RetryAfterError(ProviderError):
    """An error that says when the next attempt may be made (seconds)."""

    def __init__(
        self,
        message: str,
        *,
        retry_after: float | None = None,
        reason: WaitReason = WaitReason.THROTTLED,
    ) -> None:
        """Initialise the error; ``reason`` is the limiter's (ThrottledError)."""
        super().__init__(message)
        self.retry_after = retry_after
        self.reason = reason


class IpBlockedError(_RetryAfterError):
    """The provider temporarily blocked the source IP address."""


class RateLimitedError(_RetryAfterError):
    """The provider refused the request because of its rate limit."""


class ThrottledError(_RetryAfterError):
    """The limiter held the request back, unsent, for ``reason``."""


class ProviderConnectionError(ProviderError):
    """The provider could not be reached."""


class ProviderTimeoutError(ProviderConnectionError):
    """The provider did not answer in time."""


class ProviderServerError(ProviderError):
    """The provider reported an error on its side, or rejected the request."""


class MalformedResponseError(ProviderError):
    """The provider's answer could not be understood."""
