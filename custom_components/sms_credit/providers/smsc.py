"""SMS Center (SMSC): smsc.ru, smscentre.com, smsc.kz, smsc.ua, smsc.tj.

One API on several national domains (accounts are per domain), also run by
white-label resellers on their own hosts. The balance comes from
``POST <host>/sys/balance.php`` with ``fmt=3`` (JSON) and ``cur=1`` (add the
currency, and the credit when it is non-zero). Credentials travel only in
the form body; the password is stored and sent as its lowercase MD5 hex,
which SMSC accepts in place of the password.

The documented ceiling is 10 balance requests per minute per login and fewer
than 15 at once; crossing it answers error 9. Five authorisation failures in
30 minutes block the source IP for 30 minutes (error 4). The national
services have backup hosts ``www2`` … ``www5``, tried as the official SDKs do.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
import hashlib
import re

from ._parse import describe, json_answer, parse_amount, parse_code, parse_currency
from .models import (
    API_KEY_LOGIN,
    AuthenticationError,
    AuthMethod,
    Balance,
    CredentialField,
    IpBlockedError,
    ProviderError,
    ProviderServerError,
    ProviderSpec,
    RateLimit,
    RateLimitedError,
    Request,
    Response,
    Site,
    SiteRule,
)

IP_BLOCK_SECONDS = 1800.0
"""Error 4 does not say how long: this is the longest documented block."""

_MD5_HEX = re.compile(r"[0-9a-f]{32}", re.ASCII)


def smsc_password_hash(password: str) -> str:
    """Return what SMSC accepts in place of the password: its MD5, lowercase hex."""
    return hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()


def _national(domain: str, country: str) -> Site:
    backups = tuple(f"https://www{n}.{domain}" for n in range(2, 6))
    return Site(f"https://{domain}", country, backups)


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:
    """Ask for the balance in JSON, with its currency, as a form."""
    form = {"fmt": "3", "cur": "1", "charset": "utf-8"}
    if auth_method == "api_key":
        form["apikey"] = creds["api_key"]
    else:
        md5 = creds["password_md5"].strip().lower()
        if not _MD5_HEX.fullmatch(md5):
            raise ValueError("'password_md5' must be 32 hexadecimal digits")
        form |= {"login": creds["username"].strip(), "psw": md5}
    return Request("POST", f"{base_url}/sys/balance.php", data=form)


def _error(code: int | None, description: str) -> ProviderError:
    """Map an SMSC error number to the error to raise."""
    match code:
        case 1:
            return ProviderServerError("request rejected: error in parameters (code 1)")
        case 2:
            return AuthenticationError(
                "invalid login or password, or the IP address is not on the "
                "account's allowed list (code 2)",
                ip_maybe_not_allowed=True,
            )
        case 4:
            return IpBlockedError(
                "the IP address is temporarily blocked (code 4)",
                retry_after=IP_BLOCK_SECONDS,
            )
        case 9:
            return RateLimitedError(
                "too many balance requests (code 9)", retry_after=60.0
            )
        case None:
            return ProviderServerError(f"provider error: {description or 'unknown'}")
        case _:
            text = f": {description}" if description else ""
            return ProviderServerError(f"provider error {code}{text}")


def read_answer(response: Response) -> Balance:
    """Read the JSON answer of ``balance.php``.

    The HTTP status means little to SMSC (errors come with 200): only a 429,
    and a 5XX whose body cannot be read, are taken from it. With ``cur=1`` a
    credit of zero is left out.
    """
    if not (data := json_answer(response)) and response.status >= 500:
        raise ProviderServerError(f"server error (HTTP {response.status})")
    if "error_code" in data or "error" in data:
        raise _error(parse_code(data.get("error_code")), describe(data.get("error")))
    credit = data.get("credit")
    return Balance(
        parse_amount(data.get("balance"), "balance"),
        parse_currency(data.get("currency")),
        Decimal(0) if credit in (None, "") else parse_amount(credit, "credit"),
    )


SPEC = ProviderSpec(
    key="smsc",
    name="SMS Center (SMSC)",
    short_name="SMSC",
    sites=(
        _national("smsc.ru", "RU"),
        _national("smscentre.com", ""),
        _national("smsc.kz", "KZ"),
        _national("smsc.ua", "UA"),
        _national("smsc.tj", "TJ"),
    ),
    auth_methods=(
        AuthMethod(
            "password",
            (
                CredentialField("username"),
                CredentialField(
                    "password_md5",
                    secret=True,
                    label="password",
                    transform=smsc_password_hash,
                ),
            ),
            account_field="username",
        ),
        API_KEY_LOGIN,
    ),
    rate_limit=RateLimit(
        max_requests=10, period=60, max_concurrent=14, longest_pause=IP_BLOCK_SECONDS
    ),
    site_rule=SiteRule(
        max_failed_logins=5, window=1800.0, longest_block=IP_BLOCK_SECONDS
    ),
    panel_url="{site}/login/",
    help_url="{site}/api/http/balance/balance_answer/",
    build_request=build_request,
    read_answer=read_answer,
)
