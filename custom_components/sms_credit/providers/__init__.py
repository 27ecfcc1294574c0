"""Clients for the balance APIs of SMS gateways, and their registry.

Written as a library of its own: it needs only ``aiohttp`` (the caller
passes the session) and raises only :class:`ProviderError` subclasses.

Typical use::

    spec = PROVIDERS["smsc"]
    site = SiteLimiter(spec.site_rule)  # one per spec.site(host)
    limiter = RateLimiter(spec.rate_limit, site=site)  # one per spec.login_key()
    client = spec.create_client(
        session,
        host=host,
        auth_method="password",
        credentials={"username": account, "password_md5": md5},
        limiter=limiter,
    )
    balance = await client.async_get_balance()
"""

from __future__ import annotations

from urllib.parse import urlsplit

from . import agile, smsc
from ._parse import parse_retry_after
from .agile import AgileClient, parse_agile_response
from .client import ProviderClient
from .currencies import ISO_4217_CODES, LEGACY_CURRENCY_CODES, minor_unit
from .limiter import RateLimiter, SiteLimiter
from .models import (
    AuthenticationError,
    AuthMethod,
    Balance,
    CredentialField,
    FieldKind,
    IpBlockedError,
    IpNotAllowedError,
    MalformedResponseError,
    ProviderConnectionError,
    ProviderError,
    ProviderServerError,
    ProviderSpec,
    ProviderTimeoutError,
    RateLimit,
    RateLimitedError,
    SiteRule,
    ThrottledError,
    WaitReason,
)
from .smsc import SmscClient, parse_smsc_response, smsc_password_hash

__all__ = [
    "ISO_4217_CODES",
    "LEGACY_CURRENCY_CODES",
    "PROVIDERS",
    "AgileClient",
    "AuthMethod",
    "AuthenticationError",
    "Balance",
    "CredentialField",
    "FieldKind",
    "IpBlockedError",
    "IpNotAllowedError",
    "MalformedResponseError",
    "ProviderClient",
    "ProviderConnectionError",
    "ProviderError",
    "ProviderServerError",
    "ProviderSpec",
    "ProviderTimeoutError",
    "RateLimit",
    "RateLimitedError",
    "RateLimiter",
    "SiteLimiter",
    "SiteRule",
    "SmscClient",
    "ThrottledError",
    "WaitReason",
    "minor_unit",
    "normalize_host",
    "parse_agile_response",
    "parse_retry_after",
    "parse_smsc_response",
    "smsc_password_hash",
]

PROVIDERS: dict[str, ProviderSpec] = {
    spec.key: spec for spec in (smsc.SPEC, agile.SPEC)
}
"""Every supported provider by its key."""


def normalize_host(host: str) -> str:
    """Return a base URL with scheme and host in lower case, no trailing slash."""
    parts = urlsplit(host.strip())
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"
