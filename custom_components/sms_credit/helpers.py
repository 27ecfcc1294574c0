"""Reading a config entry's data: which provider, which account, which client."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp
from homeassistant.const import CONF_API_KEY, CONF_HOST, CONF_PASSWORD, CONF_USERNAME

from .const import CONF_AUTH_METHOD, CONF_PASSWORD_MD5, CONF_PROVIDER, REQUEST_TIMEOUT
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
