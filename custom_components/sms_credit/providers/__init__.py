"""Balance APIs of SMS gateways: declared providers, one client for all.

A library of its own: it needs only ``aiohttp`` (the caller passes the
session) and raises only :class:`ProviderError` subclasses.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module

from ._parse import (
    ISO_4217_CODES as ISO_4217_CODES,
    LEGACY_CURRENCY_CODES as LEGACY_CURRENCY_CODES,
    minor_unit as minor_unit,
    parse_retry_after as parse_retry_after,
)
from .client import ProviderClient as ProviderClient
from .limiter import RateLimiter as RateLimiter, SiteLimiter as SiteLimiter
from .models import (
    AuthenticationError as AuthenticationError,
    AuthMethod as AuthMethod,
    Balance as Balance,
    CredentialField as CredentialField,
    IpBlockedError as IpBlockedError,
    IpNotAllowedError as IpNotAllowedError,
    MalformedResponseError as MalformedResponseError,
    ProviderConnectionError as ProviderConnectionError,
    ProviderError as ProviderError,
    ProviderServerError as ProviderServerError,
    ProviderSpec as ProviderSpec,
    ProviderTimeoutError as ProviderTimeoutError,
    RateLimit as RateLimit,
    RateLimitedError as RateLimitedError,
    Request as Request,
    Response as Response,
    Site as Site,
    SiteRule as SiteRule,
    ThrottledError as ThrottledError,
    WaitReason as WaitReason,
    normalize_host as normalize_host,
)

REGISTRY: dict[str, str] = {
    "smsc": f"{__name__}.smsc",
    "agile": f"{__name__}.agile",
}
"""Every supported provider: its key and the module that declares its ``SPEC``."""


class _Providers(Mapping[str, ProviderSpec]):
    """The providers of :data:`REGISTRY`, each imported on first use."""

    def __getitem__(self, key: str) -> ProviderSpec:
        spec: ProviderSpec = import_module(REGISTRY[key]).SPEC
        return spec

    def __contains__(self, key: object) -> bool:
        return key in REGISTRY  # without importing the module

    def __iter__(self) -> Iterator[str]:
        return iter(REGISTRY)

    def __len__(self) -> int:
        return len(REGISTRY)


PROVIDERS: Mapping[str, ProviderSpec] = _Providers()
"""Every supported provider by its key (importing its module when needed)."""
