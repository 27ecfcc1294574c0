"""SMS Center (SMSC): smsc.ru, smscentre.com, smsc.kz, smsc.ua, smsc.tj.

One API on several national domains (accounts are per domain), also run by
white-label resellers on their own hosts. The balance comes from
``POST <host>/sys/balance.php`` with ``fmt=3`` (JSON) and ``cur=1`` (add the
currency, and the credit when it is non-zero). Credentials travel only in
the form body; the password is always sent as its lowercase MD5 hex, which
SMSC accepts in place of the password.

The documented ceiling is 10 balance requests per minute per login and fewer
than 15 at once; crossing it answers error 9. Five authorisation failures in
30 minutes block the source IP for 30 minutes (error 4).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
import hashlib
import logging
import re
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ._http import API_KEY_AUTH, PASSWORD_AUTH, HttpProviderClient
from ._parse import (
    check_size,
    describe,
    header,
    load_json,
    parse_amount,
    parse_code,
    parse_currency,
    parse_retry_after,
)
from .models import (
    AuthenticationError,
    Balance,
    IpBlockedError,
    MalformedResponseError,
    ProviderConnectionError,
    ProviderError,
    ProviderServerError,
    ProviderSpec,
    RateLimit,
    RateLimitedError,
    SiteRule,
    ThrottledError,
)

if TYPE_CHECKING:
    import aiohttp

    from .limiter import RateLimiter

SMSC_HOSTS = (
    "https://smsc.ru",
    "https://smscentre.com",
    "https://smsc.kz",
    "https://smsc.ua",
    "https://smsc.tj",
)
"""The national services; the first is the default."""

IP_BLOCK_SECONDS = 1800.0
"""Error 4 does not say how long: this is the longest documented block."""

SMSC_RATE_LIMIT = RateLimit(
    max_requests=10, period=60, max_concurrent=14, longest_pause=IP_BLOCK_SECONDS
)
"""The documented ceiling (error 9 beyond it). SMSC's longest wait of any
kind is its 30-minute block: no pause of a login lasts longer."""

SMSC_SITE_RULE = SiteRule(
    max_failed_logins=5, window=1800.0, longest_block=IP_BLOCK_SECONDS
)
"""Five failed logins within 30 minutes block the source IP (error 4)."""

_LOGGER = logging.getLogger(__name__)
_NATIONAL = frozenset(urlsplit(host).netloc for host in SMSC_HOSTS)
_MD5_HEX = re.compile(r"[0-9a-f]{32}", re.ASCII)
_PLAIN_ERROR = re.compile(
    r"ERROR\s*=\s*(-?\d{1,9})\s*(?:\((.*)\))?", re.IGNORECASE | re.DOTALL
)
_CSV_ERROR = re.compile(r"0\s*,\s*-(\d{1,9})", re.ASCII)


def smsc_password_hash(password: str) -> str:
    """Return what SMSC accepts in place of the password: its MD5, lowercase hex."""
    return hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()


def smsc_backup_hosts(host: str) -> tuple[str, ...]:
    """Return the backup hosts ``www2`` to ``www5`` of a national service.

    Other hosts (resellers) have none.
    """
    parts = urlsplit(host.strip().rstrip("/"))
    name = parts.netloc.lower().removeprefix("www.")
    if name not in _NATIONAL or parts.path:
        return ()
    return tuple(f"{parts.scheme.lower()}://www{n}.{name}" for n in range(2, 6))


def _error(code: int | None, description: str = "") -> ProviderError:
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


def _balance(
    balance: object, credit: object, currency: object, *, structured: bool = True
) -> Balance:
    """A balance; with ``cur=1`` SMSC leaves the credit out when it is zero.

    Only the structured formats (JSON, XML) can carry a credit: in them, a
    currency without a credit means a credit of zero. Plain text never
    tells (``None``).
    """
    limit = None
    if credit not in (None, ""):
        limit = parse_amount(credit, "credit")
    elif structured and currency not in (None, ""):
        limit = Decimal(0)
    return Balance(parse_amount(balance, "balance"), parse_currency(currency), limit)


def _from_json(data: object) -> Balance:
    if not isinstance(data, dict):
        raise MalformedResponseError("the response is not a JSON object")
    if "error_code" in data or "error" in data:
        raise _error(parse_code(data.get("error_code")), describe(data.get("error")))
    return _balance(data.get("balance"), data.get("credit"), data.get("currency"))


def _xml_field(text: str, tag: str) -> str | None:
    """The text of the first ``<tag>`` that is closed; linear in ``text``."""
    opening = f"<{tag}>"
    if (start := text.find(opening)) < 0:
        return None
    start += len(opening)
    end = text.find(f"</{tag}>", start)
    return None if end < 0 else text[start:end]


def _from_xml(text: str) -> Balance:
    code, description = _xml_field(text, "error_code"), _xml_field(text, "error")
    if code is not None or description is not None:
        raise _error(parse_code(code), describe(description))
    return _balance(
        _xml_field(text, "balance"),
        _xml_field(text, "credit"),
        _xml_field(text, "currency"),
    )


def _plain_balance(text: str) -> tuple[str, str | None] | None:
    """Split ``12.5 RUB`` / ``12.5, RUB`` / ``12.5``; ``None`` for other text.

    No regular expression: a pattern for this shape backtracks on a long
    run of spaces (seconds for 64 KB); this reads each character once.
    """
    amount, currency = text, None
    letters = text[-3:]
    if len(text) > len(letters) and letters.isascii() and letters.isalpha():
        head = text[:-3].rstrip()
        gap = text[len(head) : -3]
        if head.endswith(","):
            amount, currency = head[:-1].rstrip(), letters
        elif " " in gap:
            amount, currency = head, letters
    if not amount or any(char.isspace() for char in amount):
        return None
    return amount, currency


def _from_text(text: str) -> Balance:
    if found := _PLAIN_ERROR.match(text):
        raise _error(parse_code(found[1]), describe(found[2]))
    if found := _CSV_ERROR.fullmatch(text):
        raise _error(int(found[1]))
    if parts := _plain_balance(text):
        return _balance(parts[0], None, parts[1], structured=False)
    raise MalformedResponseError("the response is not an SMSC answer")


def parse_smsc_response(
    status: int, body: bytes, headers: Mapping[str, str]
) -> Balance:
    """Read an answer of ``balance.php`` in any of its four formats.

    Returns the balance or raises a ``ProviderError``, whatever the input.
    The HTTP status means little to SMSC (errors come with 200); only a 429
    and a 5XX with an unreadable body are taken from it.
    """
    check_size(body)
    if status == 429:
        retry_after = parse_retry_after(header(headers, "Retry-After"))
        raise RateLimitedError("rate limited (HTTP 429)", retry_after=retry_after)
    text = body.decode("utf-8", errors="replace").strip()
    try:
        if text.startswith(("{", "[")):
            return _from_json(load_json(text))
        if text.startswith("<"):
            return _from_xml(text)
        return _from_text(text)
    except MalformedResponseError:
        if status < 500:
            raise
    # Raised outside the handler: the unreadable answer is not its context.
    raise ProviderServerError(f"server error (HTTP {status})")


class SmscClient(HttpProviderClient):
    """Reads the balance of one SMSC account.

    Credentials: ``username`` always (it names the account); with the
    ``password`` method ``password_md5`` (preferred, sent as is) or
    ``password`` (hashed here); with the ``api_key`` method ``api_key``
    (the login is then not sent).

    On a connection failure or timeout the national services are retried on
    their backup hosts ``www2`` … ``www5``, in order, as the official SDKs do;
    every attempt passes through the rate limiter and counts.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        host: str = SMSC_HOSTS[0],
        auth_method: str,
        credentials: Mapping[str, str],
        timeout: float = 10.0,
        limiter: RateLimiter | None = None,
        backup_hosts: Sequence[str] | None = None,
    ) -> None:
        """Initialise the client; ``ValueError`` if the credentials do not fit."""
        super().__init__(
            session,
            host=host,
            auth_method=auth_method,
            credentials=credentials,
            timeout=timeout,
            limiter=limiter,
        )
        self._require("username")
        self._form = {"fmt": "3", "cur": "1", "charset": "utf-8"}
        if auth_method == "api_key":
            self._require("api_key")
            self._form["apikey"] = self._credentials["api_key"]
        elif auth_method == "password":
            self._form["login"] = self.account
            self._form["psw"] = self._password_md5()
        else:
            msg = f"unknown auth method {auth_method!r}"
            raise ValueError(msg)
        if backup_hosts is None:
            backup_hosts = smsc_backup_hosts(self.host)
        self.backup_hosts = tuple(host.rstrip("/") for host in backup_hosts)
        self._next_backup = 0

    def _password_md5(self) -> str:
        if "password_md5" in self._credentials:
            md5 = self._credentials["password_md5"].strip().lower()
            if not _MD5_HEX.fullmatch(md5):
                msg = "'password_md5' must be 32 hexadecimal digits"
                raise ValueError(msg)
            return md5
        self._require("password")
        return smsc_password_hash(self._credentials["password"])

    def _derived_secrets(self) -> tuple[str, ...]:
        """The MD5 of the password is as good as the password itself."""
        password = self._credentials.get("password")
        return (smsc_password_hash(password),) if password else ()

    async def _async_fetch_balance(self) -> Balance:
        """Ask the main host, then one backup host if it cannot be reached.

        One check costs at most two requests (and so at most two timeouts).
        Each failover goes to the next backup host in turn, so that over
        several checks every backup is tried. A failover
        the rate limiter holds back reports the main host's failure: nothing
        was learnt about the provider's limits.
        """
        url = f"{self.host}/sys/balance.php"
        try:
            response = await self._async_request("POST", url, data=self._form)
        except ProviderConnectionError:
            if not self.backup_hosts:
                raise
            backup = self.backup_hosts[self._next_backup % len(self.backup_hosts)]
            self._next_backup += 1
            _LOGGER.debug("%s unreachable, trying %s", url, backup)
            held_back = False
            try:
                response = await self._async_request(
                    "POST", f"{backup}/sys/balance.php", data=self._form
                )
            except ThrottledError:
                held_back = True
            if held_back:
                # Nothing was learnt: report the main host's failure.
                raise
        return parse_smsc_response(response.status, response.body, response.headers)


SPEC = ProviderSpec(
    key="smsc",
    name="SMS Center (SMSC)",
    short_name="SMSC",
    hosts=SMSC_HOSTS,
    auth_methods=(PASSWORD_AUTH, API_KEY_AUTH),
    rate_limit=SMSC_RATE_LIMIT,
    panel_url="{site}/login/",
    help_url="{site}/api/http/balance/balance_answer/",
    client_factory=SmscClient,
    site_rule=SMSC_SITE_RULE,
)
"""The registry entry."""
