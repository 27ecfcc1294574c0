"""Reading a config entry's data: which provider, which account, which client."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
import ipaddress
import math
import re
from typing import Any, TypeGuard
from urllib.parse import urlsplit

import aiohttp
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.helpers.importlib import async_import_module

from .const import (
    CONF_ADAPTIVE_POLLING,
    CONF_AUTH_METHOD,
    CONF_LOW_CREDIT_DAYS,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_PROVIDER,
    CONF_UPDATE_INTERVAL,
    DEFAULT_LOW_CREDIT_DAYS,
    DEFAULT_LOW_CREDIT_THRESHOLD,
    DEFAULT_UPDATE_INTERVAL,
    DOMAIN,
    MAX_LOW_CREDIT_DAYS,
    MAX_LOW_CREDIT_THRESHOLD,
    MAX_UPDATE_INTERVAL,
    MIN_UPDATE_INTERVAL,
)
from .providers import (
    PROVIDERS,
    REGISTRY,
    AuthMethod,
    ProviderClient,
    ProviderSpec,
    RateLimiter,
)

REQUEST_TIMEOUT = 15.0  # seconds, per HTTP request to a provider


class UnknownProviderError(ValueError):
    """Entry data names a provider this release does not know."""


async def async_get_spec(hass: HomeAssistant, key: object) -> ProviderSpec:
    """The declaration of provider ``key``, its module imported off the event loop.

    Only the providers in use are ever imported.
    """
    if not isinstance(key, str) or key not in REGISTRY:
        raise UnknownProviderError(str(key)[:40])
    await async_import_module(hass, REGISTRY[key])
    return PROVIDERS[key]


def auth_method(data: Mapping[str, Any]) -> AuthMethod:
    """Return the login method of a config entry's data (its provider imported)."""
    return PROVIDERS[data[CONF_PROVIDER]].auth_method(data[CONF_AUTH_METHOD])


def secret_keys(spec: ProviderSpec) -> frozenset[str]:
    """Entry data keys that hold secrets: redacted, never logged or shown."""
    return frozenset(
        field.key
        for method in spec.auth_methods
        for field in method.fields
        if field.secret
    )


def account_name(data: Mapping[str, Any]) -> str:
    """Return the account's public name (its login) from entry data."""
    return str(data[auth_method(data).account_field]).strip()


def usable_base_url(url: object) -> TypeGuard[str]:
    """Whether a stored address can be used at all.

    Looser than :func:`valid_base_url`, which checks what is typed: an
    entry an earlier release accepted keeps working.
    """
    if not isinstance(url, str) or not url.isprintable():
        return False
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
        _port = parts.port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(host)


def account_of(data: Mapping[str, Any]) -> tuple[ProviderSpec, str, str]:
    """The provider, address and login of entry data; ``ValueError`` if damaged."""
    spec = PROVIDERS[data[CONF_PROVIDER]]
    try:
        login = data.get(
            spec.auth_method(str(data.get(CONF_AUTH_METHOD))).account_field
        )
    except KeyError:
        login = None
    host = data.get(CONF_HOST)
    if not usable_base_url(host) or not isinstance(login, str) or not login.strip():
        raise ValueError("damaged entry data")
    return spec, host, login.strip()


def same_account(one: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """Whether two entries' data are the same provider account.

    Where the login only names the account, the same secrets; otherwise the
    same login (in any case) at the same site (``https://www.smsc.ru`` is
    ``https://smsc.ru``). It compares entry data, which holds the credentials.
    """
    if one[CONF_PROVIDER] != other[CONF_PROVIDER]:
        return False
    spec, methods = (
        PROVIDERS[one[CONF_PROVIDER]],
        (auth_method(one), auth_method(other)),
    )
    if methods[0].names_only or methods[1].names_only:
        return methods[0] == methods[1] and all(
            str(one.get(key, "")).strip() == str(other.get(key, "")).strip()
            for key in secret_keys(spec)
        )
    logins = [
        (spec.site(d[CONF_HOST]), account_name(d).casefold()) for d in (one, other)
    ]
    return logins[0] == logins[1]


def entry_title(data: Mapping[str, Any]) -> str:
    """Return the title of an entry, e.g. ``SMSC · acme``."""
    spec = PROVIDERS[data[CONF_PROVIDER]]
    return f"{spec.short_name or spec.name} · {account_name(data)}"


def create_client(
    session: aiohttp.ClientSession,
    data: Mapping[str, Any],
    limiter: RateLimiter | None,
) -> ProviderClient:
    """Build the provider client for a config entry's data."""
    method = auth_method(data)
    return ProviderClient(
        session,
        PROVIDERS[data[CONF_PROVIDER]],
        host=data[CONF_HOST],
        auth_method=method.key,
        credentials={f.key: str(data[f.key]) for f in method.fields if f.key in data},
        timeout=REQUEST_TIMEOUT,
        limiter=limiter,
    )


def finite(value: object) -> float | None:
    """A finite int or float (never a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def shortest_interval(spec: ProviderSpec, entries: int = 1) -> int:
    """The fewest minutes between checks: within the provider's request limit.

    A limit every login at a site shares (Brevo's) is divided among its
    ``entries``, with one share more kept back for set-ups, restarts and
    Check now: each entry's checks leave room for those.
    """
    limit, share = spec.rate_limit, entries + 1 if spec.rate_limit.shared else 1
    minutes = math.ceil(limit.period / limit.max_requests * share / 60)
    return max(MIN_UPDATE_INTERVAL, minutes)


def entries_sharing(
    hass: HomeAssistant, spec: ProviderSpec, host: str, *, disabled: bool = False
) -> list[ConfigEntry]:
    """The provider's entries at ``host``'s site: the enabled ones, or all."""
    site = spec.site(host)
    return [
        entry
        for entry in hass.config_entries.async_entries(
            DOMAIN, include_disabled=disabled
        )
        if entry.data.get(CONF_PROVIDER) == spec.key
        and spec.site(str(entry.data.get(CONF_HOST, ""))) == site
    ]


def valid_interval(value: object, shortest: int = MIN_UPDATE_INTERVAL) -> int | None:
    """A whole number of minutes within the allowed range, else ``None``."""
    minutes = finite(value)
    if minutes is None or not minutes.is_integer():
        return None
    if not shortest <= minutes <= MAX_UPDATE_INTERVAL:
        return None
    return int(minutes)


def valid_threshold(value: object) -> float | None:
    """A finite amount from 0 to :data:`MAX_LOW_CREDIT_THRESHOLD`, else ``None``."""
    amount = finite(value)
    if amount is None or not 0 <= amount <= MAX_LOW_CREDIT_THRESHOLD:
        return None
    return amount


def valid_days(value: object) -> int | None:
    """Whole days from 0 (off) to :data:`MAX_LOW_CREDIT_DAYS`, else ``None``."""
    days = finite(value)
    if days is None or not days.is_integer() or not 0 <= days <= MAX_LOW_CREDIT_DAYS:
        return None
    return int(days)


def low_credit_days(options: Mapping[str, Any]) -> int:
    """Days before the credit runs out that it counts as low; the default if invalid."""
    days = valid_days(options.get(CONF_LOW_CREDIT_DAYS))
    return DEFAULT_LOW_CREDIT_DAYS if days is None else days


def adaptive_polling(options: Mapping[str, Any]) -> bool:
    """Whether checks follow the forecast (the default), or come every interval."""
    return options.get(CONF_ADAPTIVE_POLLING) is not False


def update_interval_minutes(options: Mapping[str, Any], spec: ProviderSpec) -> int:
    """The entry's update interval; the default where the option is invalid."""
    minutes = valid_interval(options.get(CONF_UPDATE_INTERVAL), shortest_interval(spec))
    return DEFAULT_UPDATE_INTERVAL if minutes is None else minutes


def low_credit_threshold(options: Mapping[str, Any]) -> Decimal:
    """The entry's low-credit threshold; the default where the option is invalid."""
    amount = valid_threshold(options.get(CONF_LOW_CREDIT_THRESHOLD))
    return Decimal(str(DEFAULT_LOW_CREDIT_THRESHOLD if amount is None else amount))


def host_option(url: str) -> str:
    """The form's option (and translation key) for one of a provider's hosts.

    ``https://smsc.kz`` → ``smsc_kz``: selector options are translated by
    keys of letters, digits, ``-`` and ``_`` only.
    """
    return (urlsplit(url).hostname or "").replace(".", "_")


# Letters, digits, hyphens; underscores too, which DNS allows and some
# servers' names have.
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?", re.ASCII)


def valid_base_url(url: str) -> bool:
    """Whether ``url`` may be a provider base URL.

    HTTPS only, except plain HTTP to a loopback address (a local stand-in
    or proxy), so credentials never cross a network unencrypted. No spaces
    or control characters anywhere, no login or password in the address.
    The host is an IP address or a DNS name by its rules: labels of letters,
    digits, hyphens (not first or last) and underscores, at most 63
    characters each and 253 in all; an international name in its ``xn--``
    form.
    """
    text = url.strip()
    if not text.isprintable() or " " in text:
        return False
    try:
        parts = urlsplit(text)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return False
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name
        try:
            name = host.removesuffix(".").encode("idna").decode("ascii")
        except UnicodeError:
            return False  # a label too long, or characters no name may hold
        if len(name) > 253 or not all(map(_LABEL.fullmatch, name.split("."))):
            return False
        # Names under .localhost are loopback by definition (RFC 6761, 6.3).
        loopback = host == "localhost" or host.endswith(".localhost")
    if port == 0 or parts.query or parts.fragment or "@" in parts.netloc:
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and loopback)
