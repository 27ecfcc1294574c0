"""Reading a config entry's data: which provider, which account, which client."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
import ipaddress
import math
import re
from typing import Any
import unicodedata
from urllib.parse import urlsplit

import aiohttp
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PASSWORD, CONF_USERNAME

from .const import (
    CONF_AUTH_METHOD,
    CONF_LOW_CREDIT_THRESHOLD,
    CONF_PASSWORD_MD5,
    CONF_PROVIDER,
    CONF_UPDATE_INTERVAL,
    DEFAULT_LOW_CREDIT_THRESHOLD,
    DEFAULT_UPDATE_INTERVAL,
    MAX_LOW_CREDIT_THRESHOLD,
    MAX_UPDATE_INTERVAL,
    MIN_UPDATE_INTERVAL,
    REQUEST_TIMEOUT,
)
from .providers import PROVIDERS, ProviderClient, ProviderSpec, RateLimiter

# Entry data keys that hold secrets (redacted in diagnostics, never logged).
SECRET_KEYS = frozenset({CONF_PASSWORD, CONF_PASSWORD_MD5, CONF_API_KEY})


def provider_spec(data: Mapping[str, Any]) -> ProviderSpec:
    """Return the provider of a config entry's data."""
    return PROVIDERS[data[CONF_PROVIDER]]


def account_name(data: Mapping[str, Any]) -> str:
    """Return the account's public name (its login) from entry data."""
    spec = provider_spec(data)
    method = spec.auth_method(data[CONF_AUTH_METHOD])
    return str(data[method.account_field]).strip()


class UnknownProviderError(ValueError):
    """Entry data names a provider this release does not know."""


def usable_base_url(url: object) -> bool:
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
    """The provider, address and login of entry data.

    Raises :class:`UnknownProviderError` for a provider this release does
    not know, ``ValueError`` for data damaged in ``core.config_entries``.
    """
    key = data.get(CONF_PROVIDER)
    if not isinstance(key, str) or (spec := PROVIDERS.get(key)) is None:
        raise UnknownProviderError(str(key)[:40])
    try:
        method = spec.auth_method(str(data.get(CONF_AUTH_METHOD)))
    except KeyError:
        method = None
    host = data.get(CONF_HOST)
    login = data.get(method.account_field) if method else None
    if not usable_base_url(host) or not isinstance(login, str) or not login.strip():
        msg = "damaged entry data"
        raise ValueError(msg)
    assert isinstance(host, str)  # noqa: S101 - usable_base_url checked it
    return spec, host, login.strip()


def same_account(one: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """Whether two entries' data are the same provider account.

    The same API key, or the same login (in any case) at the same site
    (``https://www.smsc.ru`` is ``https://smsc.ru``). Nothing here is kept:
    it compares entry data, which already holds the credentials.
    """
    if one[CONF_PROVIDER] != other[CONF_PROVIDER]:
        return False
    if CONF_API_KEY in one or CONF_API_KEY in other:
        return (
            str(one.get(CONF_API_KEY, "")).strip()
            == str(other.get(CONF_API_KEY, "")).strip()
        )
    spec = provider_spec(one)
    return spec.login_key(one[CONF_HOST], account_name(one)) == spec.login_key(
        other[CONF_HOST], account_name(other)
    )


def entry_title(data: Mapping[str, Any]) -> str:
    """Return the title of an entry, e.g. ``SMSC · acme``."""
    return f"{provider_spec(data).title_name} · {account_name(data)}"


def credentials(data: Mapping[str, Any]) -> dict[str, str]:
    """Return what the provider client needs to authenticate."""
    keys = (CONF_USERNAME, CONF_PASSWORD, CONF_PASSWORD_MD5, CONF_API_KEY)
    return {key: str(data[key]) for key in keys if key in data}


def create_client(
    session: aiohttp.ClientSession,
    data: Mapping[str, Any],
    limiter: RateLimiter | None,
) -> ProviderClient:
    """Build the provider client for a config entry's data."""
    return provider_spec(data).create_client(
        session,
        host=data[CONF_HOST],
        auth_method=data[CONF_AUTH_METHOD],
        credentials=credentials(data),
        timeout=REQUEST_TIMEOUT,
        limiter=limiter,
    )


def _finite(value: object) -> float | None:
    """A finite int or float (never a bool), else ``None``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def valid_interval(value: object) -> int | None:
    """A whole number of minutes within the allowed range, else ``None``."""
    minutes = _finite(value)
    if minutes is None or not minutes.is_integer():
        return None
    if not MIN_UPDATE_INTERVAL <= minutes <= MAX_UPDATE_INTERVAL:
        return None
    return int(minutes)


def valid_threshold(value: object) -> float | None:
    """A finite amount from 0 to :data:`MAX_LOW_CREDIT_THRESHOLD`, else ``None``."""
    amount = _finite(value)
    if amount is None or not 0 <= amount <= MAX_LOW_CREDIT_THRESHOLD:
        return None
    return amount


def update_interval_minutes(options: Mapping[str, Any]) -> int:
    """The entry's update interval; the default where the option is invalid."""
    minutes = valid_interval(options.get(CONF_UPDATE_INTERVAL))
    return DEFAULT_UPDATE_INTERVAL if minutes is None else minutes


def low_credit_threshold(options: Mapping[str, Any]) -> Decimal:
    """The entry's low-credit threshold; the default where the option is invalid."""
    amount = valid_threshold(options.get(CONF_LOW_CREDIT_THRESHOLD))
    return Decimal(str(DEFAULT_LOW_CREDIT_THRESHOLD if amount is None else amount))


# About what 10 EUR buy (late 2026), in currencies with much smaller units,
# rounded to a figure a user would type. Others: 10 of the unit (EUR, USD,
# GBP, CHF and the like); the user sets it anyway.
_THRESHOLD_BY_CURRENCY: dict[str, int] = {
    "AED": 40,
    "AMD": 4000,
    "ARS": 10000,
    "AZN": 20,
    "BDT": 1200,
    "BGN": 20,
    "BRL": 60,
    "BYN": 30,
    "CLP": 10000,
    "CNY": 80,
    "COP": 45000,
    "CZK": 250,
    "DKK": 75,
    "EGP": 500,
    "GEL": 30,
    "HKD": 80,
    "HUF": 4000,
    "IDR": 170000,
    "ILS": 40,
    "INR": 1000,
    "ISK": 1500,
    "JPY": 1500,
    "KES": 1500,
    "KGS": 1000,
    "KRW": 15000,
    "KZT": 5000,
    "MDL": 200,
    "MXN": 200,
    "NGN": 15000,
    "NOK": 100,
    "PHP": 600,
    "PKR": 3000,
    "PLN": 40,
    "RON": 50,
    "RSD": 1200,
    "RUB": 1000,
    "SAR": 40,
    "SEK": 100,
    "THB": 400,
    "TJS": 100,
    "TRY": 400,
    "TWD": 350,
    "UAH": 500,
    "UZS": 100000,
    "VND": 250000,
    "ZAR": 200,
}


def default_threshold(currency: str) -> float:
    """A low-credit threshold that makes sense in ``currency`` (not 10 RUB)."""
    return float(_THRESHOLD_BY_CURRENCY.get(currency, DEFAULT_LOW_CREDIT_THRESHOLD))


def host_option(url: str) -> str:
    """The form's option (and translation key) for one of a provider's hosts.

    ``https://smsc.kz`` → ``smsc_kz``: selector options are translated by
    keys of letters, digits, ``-`` and ``_`` only.
    """
    return (urlsplit(url).hostname or "").replace(".", "_")


def unfit_text(value: str) -> bool:
    """Whether text can be neither stored nor sent.

    A lone surrogate cannot be written as UTF-8 (it would make Home
    Assistant's storage unsavable); a control character (NUL, a line
    break) has no place in a login, a password, an API key or an address.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return any(unicodedata.category(char) == "Cc" for char in value)


# Letters, digits, hyphens; underscores too, which DNS allows and some
# servers' names have.
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?", re.ASCII)


def _valid_host_name(host: str) -> bool:
    """An IP address, or a DNS name by its rules.

    Labels of letters, digits, hyphens (not first or last) and underscores,
    at most 63 characters each and 253 in all. An international name is
    checked in its ``xn--`` form.
    """
    try:
        ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return True
    try:
        name = host.removesuffix(".").encode("idna").decode("ascii")
    except UnicodeError:
        return False  # a label too long, or characters no name may hold
    return len(name) <= 253 and all(_LABEL.fullmatch(part) for part in name.split("."))


def valid_base_url(url: str) -> bool:
    """Whether ``url`` may be a provider base URL.

    HTTPS only, except plain HTTP to a loopback address (a local stand-in
    or proxy), so credentials never cross a network unencrypted. No spaces
    or control characters anywhere; the host name by its rules.
    """
    text = url.strip()
    if not text.isprintable() or " " in text:
        return False
    try:
        parts = urlsplit(text)
        host = parts.hostname
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        return False
    if (
        not host
        or not port_ok
        or parts.query
        or parts.fragment
        or "@" in parts.netloc  # a login or password never goes in an address
        or not _valid_host_name(host)
    ):
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and _is_loopback(host)


def _is_loopback(host: str) -> bool:
    # Names under .localhost are loopback by definition (RFC 6761, 6.3).
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
