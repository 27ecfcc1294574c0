"""A stand-in for every provider's balance API.

It answers like the providers do (as far as their documents say), on
loopback, so tests and development never reach the real services.

Three ways to use it:

* From tests::

      standin = StandinProvider(clock=fake_clock)
      await standin.start()            # 127.0.0.1, a free port
      ...standin.url...                # e.g. http://127.0.0.1:41234
      await standin.close()

* On its own, for manual development (every provider on one port)::

      python -m tests.standin --port 8099

  SMSC is then at ``http://127.0.0.1:8099/sys/balance.php`` and Agile
  Telecom at ``http://127.0.0.1:8099/services/sms/credit``. Both know the
  login ``demo`` with the password ``demo-password`` and the API keys
  ``demo-smsc-key`` / ``demo-agile-key``. The other providers are on their
  own paths (:data:`EMULATIONS`), with the accounts of :data:`DEMO_ACCOUNTS`
  (the README lists them).

* From an end-to-end test, switched between modes over HTTP (below).

Behaviour:

* SMSC (``/sys/balance.php``): GET or POST; ``login`` + ``psw`` (the
  password or its MD5) or ``apikey``; ``fmt`` 0-3 (default 1) with the
  documented bodies; ``cur=1`` adds the currency (and the credit when it is
  not zero). Error 1 for missing credentials; error 2 for wrong credentials
  or a source IP outside :attr:`StandinProvider.allowed_ips`; the fifth
  authorisation failure of an IP within 30 minutes blocks it for 30 minutes
  (error 4), and every request from that IP during the block prolongs it by
  another 30 minutes (:attr:`StandinProvider.during_block` counts them, per
  IP; a well-behaved client keeps it at zero). Failures and blocks apply to
  the source IP at one site (the ``Host`` the request named, without
  ``www.``), so that accounts on several sites can share one IP; a block
  set without a site applies to every site. More than 10 balance requests
  of one login within 60 s give error 9
  (:attr:`StandinProvider.smsc_max_per_minute`), and so does a 15th
  request of one login in flight at once.
* Agile Telecom (``/services/sms/credit``): GET with Basic or
  ``X-Api-Key``; 401 without credentials (empty body) or with wrong ones
  (JSend code 1, or 11 for an unknown user); 403 with JSend code 100 for an
  IP outside :attr:`StandinProvider.allowed_ips`; 429 with ``Retry-After``
  above :attr:`StandinProvider.agile_max_per_minute` requests a minute (per
  account).

* The sixteen others (:data:`EMULATIONS`: Twilio, ClickSend, Vonage,
  seven.io, Telnyx, 46elks, Clickatell, Plivo, Infobip, SMSAPI, TextMagic,
  GatewayAPI, BulkSMS, Brevo, SMS.to, Mobizon): their paths, logins,
  success bodies and documented errors: a wrong secret, a key without the
  permission (``Account.denied``), an IP off the account's allow-list where
  documented (seven.io's code 903, GatewayAPI's 0x0213, SMSAPI's 105,
  Brevo's unrecognised IP; Clickatell's and Infobip's same 401 as a wrong
  key), a Twilio sub-account (``Account.sub_account``), and past
  :attr:`StandinProvider.max_per_minute` requests of a login a minute their
  429 (Telnyx's with ``x-ratelimit-reset``, Brevo's ``x-sib-ratelimit-reset``).
  Where two share a path (ClickSend and Brevo, seven.io and SMS.to), the
  login header tells them apart (``Emulation.claims``).

Each account may also have an allow-list of its own (``allowed_ips``),
refused as the global one is. Every request is logged with what it got
(:attr:`StandinProvider.log`, :class:`Exchange`): the ground truth the soak
test checks the integration against.

Control API (JSON, same port):

* ``GET /_standin/state``: the current state.
* ``POST /_standin/state``: merge a state, e.g.
  ``{"reset": true, "allowed_ips": ["10.0.0.1"], "delay": 2,
  "smsc_max_per_minute": 10, "agile_max_per_minute": 5,
  "max_per_minute": {"twilio": 2},
  "blocked": {"127.0.0.1": 1800},
  "smsc": {"demo": {"balance": "12.50", "credit": "100", "currency": "KZT"}},
  "agile": {"demo": {"password": "new", "api_key": "k2"}},
  "telnyx": {"demo": {"denied": true}}}``.
  ``reset`` (applied first) forgets request windows, failures, blocks and
  queued answers; ``allowed_ips: null`` allows every IP; ``blocked`` blocks
  each IP at SMSC for so many seconds (0 lifts the block), as five failed
  logins would; an unknown login under a provider's key creates that
  account.
* ``POST /_standin/respond_next``: queue forced answers for the next
  provider requests: ``{"status": 503, "body": "...", "headers": {},
  "count": 1}``; with ``"login": "demo"`` only for that login's requests,
  with ``"action": "reset"`` the connection is closed instead of answered,
  with ``"action": "hang"`` nothing is answered for ``hang_seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
import contextlib
import copy
from dataclasses import asdict, dataclass, field
from decimal import Decimal
import hashlib
import json
import math
import time
from typing import Any

from aiohttp import web

SMSC_PATH = "/sys/balance.php"
AGILE_PATH = "/services/sms/credit"

SMSC_REQUESTS_PER_MINUTE = 10
SMSC_FAILURES_BEFORE_BLOCK = 5
SMSC_BLOCK_SECONDS = 1800.0
SMSC_MAX_IN_FLIGHT = 15  # the 15th request of one login at once is refused

ARRIVED = web.RequestKey("arrived", float)
PROVIDER = web.RequestKey("provider", str)
PARAMS = web.RequestKey("params", dict[str, str])  # the query and the form

SMSC_ERRORS = {
    1: "parameters error",
    2: "authorise error",
    4: "IP address is temporarily blocked",
    9: "too many balance requests, wait a minute",
}


@dataclass
class Account:
    """One account at a provider."""

    password: str
    api_key: str | None = None
    balance: str = "100.50"
    credit: str = "0"
    currency: str = "RUR"
    allowed_ips: list[str] | None = None
    """The account's own allow-list (``None``: every IP)."""
    key_sid: str | None = None
    """Twilio: the SID of the account's API key (``api_key`` its secret)."""
    denied: bool = False
    """The key lacks the permission to read the balance."""
    sub_account: bool = False
    """Twilio: a sub-account, which has no balance of its own."""


@dataclass(frozen=True)
class Seen:
    """One request the stand-in received, as it arrived."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]
    remote: str | None


@dataclass(frozen=True)
class Exchange:
    """One provider request and what the stand-in did with it.

    ``at`` is on the stand-in's clock, when the request arrived; ``login``
    is the account it named (``""``: none known). ``outcome`` is one of
    :data:`OUTCOMES`; ``balance`` is set for ``"ok"`` only.
    """

    at: float
    provider: str
    site: str
    ip: str
    login: str
    outcome: str
    status: int = 200
    balance: str | None = None
    retry_after: float | None = None
    source: str = ""  # who sent it, as the test said (StandinProvider.source)
    forced: bool = False  # answered with respond_next, not by the rules


OUTCOMES = (
    "ok",  # the balance
    "rejected",  # wrong credentials, or (SMSC error 2) an IP not allowed
    "not_allowed",  # Agile: the IP is not on the allow-list (403)
    "blocked",  # SMSC error 4
    "rate_limited",  # SMSC error 9, Agile 429
    "denied",  # the key lacks the permission to read the balance
    "no_balance",  # Twilio: a sub-account
    "bad_request",  # no credentials at all
    "forced",  # an answer queued with respond_next
    "reset",  # the connection was closed without an answer
    "hang",  # no answer at all
)


@dataclass(frozen=True)
class Forced:
    """An answer given instead of the normal one (or none: ``action``)."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    action: str = "answer"  # or "reset", "hang"
    outcome: str = "forced"  # what it stands for in the log (one of OUTCOMES)


@dataclass(frozen=True)
class Emulation:
    """How one of the providers beyond SMSC and Agile answers, as documented.

    ``credentials`` reads (login, secret) from a request: the login names
    the account, or is ``""`` where the secret (a key) alone does. The
    answers are (status, body, headers) for a rejected login, a key that
    lacks the permission, an IP off the allow-list (where documented), a
    sub-account, and too many requests. Answers the provider does not
    document are marked as assumptions where they are declared.
    """

    path: str
    credentials: Callable[[web.Request], tuple[str, str]]
    balance: Callable[[str, Account], Any]
    rejected: tuple[int, Any]
    denied: tuple[int, Any]
    rate_limited: tuple[int, Any, Mapping[str, str]]
    not_allowed: tuple[int, Any] | None = None
    no_balance: tuple[int, Any] | None = None
    text_unless_json: bool = False
    """Without ``Accept: application/json``, the balance as bare text."""
    claims: Callable[[web.Request], bool] = lambda _request: True
    """Whether a request at a path two providers share is this one's."""


def _basic(request: web.Request) -> tuple[str, str]:
    login, password = _basic_credentials(request.headers.get("Authorization", ""))
    return login, password or ""


def _twilio_error(status: int, code: int, message: str) -> tuple[int, Any]:
    more = f"https://www.twilio.com/docs/errors/{code}"
    return status, {
        "code": code,
        "message": message,
        "more_info": more,
        "status": status,
    }


def _clicksend(status: int, code: str, message: str) -> tuple[int, Any]:
    return status, {
        "http_code": status,
        "response_code": code,
        "response_msg": message,
        "data": None,
    }


def _telnyx(status: int, code: str, title: str) -> tuple[int, Any]:
    meta = {"url": f"https://developers.telnyx.com/docs/overview/errors/{code}"}
    return status, {"errors": [{"code": code, "title": title, "meta": meta}]}


def _infobip(status: int, message_id: str, text: str) -> tuple[int, Any]:
    exception = {"messageId": message_id, "text": text}
    return status, {"requestError": {"serviceException": exception}}


# Brevo's words (its help pages; the IP refusal as third-party code quotes it).
BREVO_DENIED = (
    'Access denied for resource "account". The API key does not include the'
    " required permission. Update the key permissions or send the request"
    " with a different key."
)
BREVO_IP = (
    "We have detected you are using an unrecognised IP address 127.0.0.1. If"
    " you performed this action make sure to add the new IP address in this"
    " link: https://app.brevo.com/security/authorised_ips"
)

EMULATIONS: dict[str, Emulation] = {
    # Twilio: Basic SID:token or keySID:secret; strings; code 20003/20429.
    "twilio": Emulation(
        "/2010-04-01/Accounts/{sid}/Balance.json",
        _basic,
        lambda sid, a: {
            "currency": a.currency,
            "balance": a.balance,
            "account_sid": sid,
        },
        _twilio_error(401, 20003, "Authenticate"),
        _twilio_error(403, 70051, "Authorization Failed"),
        (*_twilio_error(429, 20429, "Too Many Requests"), {}),
        no_balance=_twilio_error(
            404, 20404, "The requested resource /Balance.json was not found"
        ),
    ),
    # ClickSend: Basic API username:key; an envelope; the balance a string.
    "clicksend": Emulation(
        "/v3/account",
        _basic,
        lambda login, a: {
            "http_code": 200,
            "response_code": "SUCCESS",
            "response_msg": "Here's your account.",
            "data": {
                "username": login,
                "balance": f"{Decimal(a.balance):.6f}",
                "_currency": {
                    "currency_name_short": a.currency,
                    "currency_prefix_d": "$",
                    "currency_prefix_c": "c",
                    "currency_name_long": a.currency,
                },
            },
        },
        _clicksend(
            401, "UNAUTHORIZED", "Authentication credentials were missing or incorrect"
        ),
        _clicksend(403, "FORBIDDEN", "Resource forbidden."),
        (*_clicksend(429, "TOO_MANY_REQUESTS", "Rate Limit Exceeded."), {}),
    ),
    # Vonage: Basic key:secret; a JSON number in EUR; RFC 7807 for a 429.
    "vonage": Emulation(
        "/account/get-balance",
        _basic,
        lambda _login, a: {"value": Decimal(a.balance), "autoReload": False},
        (401, {"error-code": "401", "error-code-label": "authentication failed"}),
        # Assumed (not documented for this endpoint): RFC 7807, as elsewhere.
        (403, {"type": "about:blank", "title": "Forbidden", "detail": "denied"}),
        (429, {"type": "about:blank", "title": "Throttled", "detail": "too many"}, {}),
    ),
    # seven.io: X-Api-Key; a refusal is a bare integer (900, 902, 903).
    "seven": Emulation(
        "/api/balance",
        lambda request: ("", request.headers.get("X-Api-Key", "")),
        lambda _login, a: {"amount": Decimal(a.balance), "currency": a.currency},
        # The codes and their HTTP status are unverified; a 429's body assumed.
        (200, "900"),
        (200, "902"),
        (429, "", {}),
        not_allowed=(200, "903"),
        text_unless_json=True,
    ),
    # Telnyx: Bearer key; decimal strings and the credit limit; 10009-10011.
    "telnyx": Emulation(
        "/v2/balance",
        lambda request: (
            "",
            request.headers.get("Authorization", "").removeprefix("Bearer "),
        ),
        lambda _login, a: {
            "data": {
                "record_type": "balance",
                "pending": "0.00",
                "balance": a.balance,
                "credit_limit": a.credit,
                "available_credit": str(Decimal(a.balance) + Decimal(a.credit)),
                "currency": a.currency,
            }
        },
        _telnyx(401, "10009", "Authentication failed"),
        _telnyx(403, "10010", "Authorization failed"),
        (
            *_telnyx(429, "10011", "Too many requests"),
            {
                "x-ratelimit-limit": "10",
                "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": "30",
            },
        ),
    ),
    # 46elks: Basic API username:password; the balance in 1/10 000.
    "elks46": Emulation(
        "/a1/me",
        _basic,
        lambda login, a: {
            "id": "u0123456789abcdef0123456789abcdef",
            "displayname": login,
            "currency": a.currency,
            "balance": int(Decimal(a.balance) * 10000),
            "creditalert": 200000,
        },
        # Assumed: 46elks documents no errors.
        (401, "Invalid API credentials"),
        (403, "Forbidden"),
        (429, "Too many requests", {}),
    ),
    # Clickatell: the raw API key as Authorization; a number and its currency.
    "clickatell": Emulation(
        "/public-client/balance",
        lambda request: ("", request.headers.get("Authorization", "")),
        lambda _login, a: {"balance": Decimal(a.balance), "currency": a.currency},
        # Assumed: no error body is documented. The IP lockdown is the same
        # 401 as a wrong key ("can also be caused by IP lockdown settings").
        (401, ""),
        (403, ""),
        (429, "", {}),
        not_allowed=(401, ""),
    ),
    # Plivo: Basic Auth ID:token, the Auth ID also in the path; USD strings.
    "plivo": Emulation(
        "/v1/Account/{auth_id}/",
        lambda request: (
            request.match_info.get("auth_id", ""),
            # The token logs in only with the Auth ID of the path.
            _basic(request)[1]
            if _basic(request)[0] == request.match_info.get("auth_id")
            else "",
        ),
        lambda auth_id, a: {
            "account_type": "standard",
            "api_id": "150892a0-922a-11e7-b6f4-061564b78b75",
            "auth_id": auth_id,
            "auto_recharge": False,
            "billing_mode": "prepaid",
            "cash_credits": f"{Decimal(a.balance):.5f}",
            "resource_uri": f"/v1/Account/{auth_id}/",
        },
        # Assumed: the statuses are documented, their bodies are not.
        (401, {"api_id": "1", "error": "Authentication failed"}),
        (403, {"api_id": "1", "error": "Forbidden"}),
        (429, {"api_id": "1", "error": "Too many requests, rate limited"}, {}),
    ),
    # Infobip: "App <key>"; a number and its currency; the key's allowedIPs
    # refused with the same 401 as a wrong key.
    "infobip": Emulation(
        "/account/1/balance",
        lambda request: (
            "",
            request.headers.get("Authorization", "").removeprefix("App "),
        ),
        lambda _login, a: {"balance": Decimal(a.balance), "currency": a.currency},
        _infobip(401, "UNAUTHORIZED", "Unauthorized"),
        _infobip(403, "FORBIDDEN", "Forbidden"),
        (*_infobip(429, "TOO_MANY_REQUESTS", "Too many requests"), {}),
        not_allowed=_infobip(401, "UNAUTHORIZED", "Unauthorized"),
    ),
    # TextMagic: X-TM-Username and X-TM-Key; a number, currency.id.
    "textmagic": Emulation(
        "/api/v2/user",
        lambda request: (
            request.headers.get("X-TM-Username", ""),
            request.headers.get("X-TM-Key", ""),
        ),
        lambda login, a: {
            "id": 305,
            "username": login,
            "status": "A",
            "balance": Decimal(a.balance),
            "currency": {"id": a.currency},
            "subaccountType": "P",
        },
        (401, {"code": 401, "message": "Unauthorized", "errors": None}),
        # Assumed: a key without the right is not documented for /user.
        (403, {"code": 403, "message": "Forbidden", "errors": None}),
        (429, {"code": 429, "message": "Request limit reached.", "errors": None}, {}),
    ),
    # SMSAPI: Bearer OAuth token; points (here the numeric string the SDK
    # warns of); a refusal {"error": int, "message"} on HTTP 200 (the SDK
    # reads errors even on 2xx; the real statuses are unverified).
    "smsapi": Emulation(
        "/profile",
        lambda request: (
            "",
            request.headers.get("Authorization", "").removeprefix("Bearer "),
        ),
        lambda login, a: {
            "name": login,
            "email": f"{login}@example.com",
            "username": login,
            "phone_number": "100200300",
            "payment_type": "prepaid",
            "user_type": "native",
            "points": a.balance,
        },
        (200, {"error": 101, "message": "Invalid authorization info"}),
        (200, {"error": 110, "message": "Action not allowed for your account"}),
        (429, "", {}),  # assumed: no limit or 429 is documented
        not_allowed=(
            200,
            {"error": 105, "message": "Wrong IP address (for IP filter turned on)"},
        ),
    ),
    # GatewayAPI: the API token as Basic user name, empty password; the
    # credit a number; 0x0229 a wrong token, 0x0213 an IP not allowed.
    # Assumed: 0x0207 "Permission denied" (the general code table), the 429.
    "gatewayapi": Emulation(
        "/rest/me",
        lambda request: ("", _basic(request)[0]),
        lambda _login, a: {
            "credit": Decimal(a.balance),
            "currency": a.currency,
            "id": 1,
        },
        (401, {"code": "0x0229", "message": "Invalid token"}),
        (403, {"code": "0x0207", "message": "Permission denied"}),
        (429, "", {}),
        not_allowed=(
            403,
            {"code": "0x0213", "message": "Unauthorized IP-address: %1"},
        ),
    ),
    # BulkSMS: Basic username:password or token id:secret; credits, not
    # money (credits.limit: meaning unverified). Assumed: the RFC 7807-like
    # bodies of its 401, 403 and 429 (none is documented for /v1/profile).
    "bulksms": Emulation(
        "/v1/profile",
        _basic,
        lambda login, a: {
            "id": "1",
            "username": login,
            "created": "2024-01-02T10:00:00+01:00",
            "credits": {
                "balance": Decimal(a.balance),
                "isTransferAllowed": False,
                "limit": 0,
            },
            "quota": {"size": 1000, "remaining": 1000},
        },
        (401, {"type": "about:blank", "title": "Unauthorized", "status": 401}),
        (403, {"type": "about:blank", "title": "Forbidden", "status": 403}),
        (
            429,
            {"type": "about:blank", "title": "Too Many Requests", "status": 429},
            {},
        ),
    ),
    # Brevo: the api-key header; SMS credits in plan[]; {code, message}. It
    # shares /v3/account with ClickSend: the api-key header makes it Brevo's.
    "brevo": Emulation(
        "/v3/account",
        lambda request: ("", request.headers.get("api-key", "")),
        lambda _login, a: {
            "email": "demo@example.com",
            "plan": [
                {"type": "free", "credits": 300, "creditsType": "sendLimit"},
                {
                    "type": "sms",
                    "credits": Decimal(a.balance),
                    "creditsType": "sendLimit",
                },
            ],
        },
        # Assumed (third-party): "Key not found"; the 403's status, the 429's body.
        (401, {"code": "unauthorized", "message": "Key not found"}),
        (403, {"code": "permission_denied", "message": BREVO_DENIED}),
        (
            429,
            {"code": "too_many_requests", "message": "Too many requests"},
            {
                "x-sib-ratelimit-limit": "100",
                "x-sib-ratelimit-remaining": "0",
                "x-sib-ratelimit-reset": "1200",
            },
        ),
        not_allowed=(401, {"code": "unauthorized", "message": BREVO_IP}),
        claims=lambda request: "api-key" in request.headers,
    ),
    # SMS.to: Bearer key; {balance, currency}. It shares /api/balance with
    # seven.io: a bearer token makes it SMS.to's.
    "smsto": Emulation(
        "/api/balance",
        lambda request: (
            "",
            request.headers.get("Authorization", "").removeprefix("Bearer "),
        ),
        lambda _login, a: {"balance": Decimal(a.balance), "currency": a.currency},
        (401, {"success": False, "message": "Invalid API Key or Token", "data": []}),
        # Assumed: SMS.to documents no answer for a key without a permission.
        (403, {"success": False, "message": "Forbidden"}),
        (
            429,
            {
                "success": False,
                "message": "Error 429 - Too many requests. You have been rate limited.",
            },
            {},
        ),
        claims=lambda request: request.headers.get("Authorization", "").startswith(
            "Bearer "
        ),
    ),
    # Mobizon: apiKey in the form (or query); {code, data, message}, 4 decimals.
    "mobizon": Emulation(
        "/service/user/getownbalance",
        lambda request: ("", request[PARAMS].get("apiKey", "")),
        lambda _login, a: {
            "code": 0,
            "data": {"balance": f"{Decimal(a.balance):.4f}", "currency": a.currency},
            "message": "",
        },
        # Assumed: the HTTP status (200) and the messages of the error codes.
        (200, {"code": 8, "data": [], "message": "Login error"}),
        (200, {"code": 9, "data": [], "message": "Method access error"}),
        (200, {"code": 30, "data": [], "message": "Request rate limit exceeded"}, {}),
    ),
}
"""The providers beyond SMSC and Agile, by their keys in the registry."""

DEMO_ACCOUNTS: dict[str, dict[str, Account]] = {
    "twilio": {
        "AC0123456789abcdef0123456789abcdef": Account(
            "demo-auth-token",
            api_key="demo-key-secret",
            key_sid="SK0123456789abcdef0123456789abcdef",
            currency="USD",
        )
    },
    "clicksend": {"demo": Account("demo-clicksend-key", currency="AUD")},
    "vonage": {"demo": Account("demo-vonage-secret", currency="EUR")},
    "seven": {"demo": Account("", api_key="demo-seven-key", currency="EUR")},
    "telnyx": {
        "demo": Account("", api_key="KEY_demo", currency="USD", credit="100.00")
    },
    "elks46": {"demo": Account("demo-elks-password", currency="SEK")},
    "clickatell": {"demo": Account("", api_key="demo-clickatell-key", currency="ZAR")},
    "plivo": {"MADEMO0123456789ABCD": Account("demo-plivo-token", currency="USD")},
    "infobip": {"demo": Account("", api_key="demo-infobip-key", currency="EUR")},
    "textmagic": {"demo": Account("demo-textmagic-key", currency="USD")},
    "smsapi": {"demo": Account("", api_key="demo-smsapi-token")},
    "gatewayapi": {
        "demo": Account("", api_key="demo-gatewayapi-token", currency="DKK")
    },
    "bulksms": {"demo": Account("demo-bulksms-password")},
    "brevo": {"demo": Account("", api_key="demo-brevo-key")},
    "smsto": {"demo": Account("", api_key="demo-smsto-key", currency="EUR")},
    "mobizon": {"demo": Account("", api_key="demo-mobizon-key", currency="KZT")},
}
"""The demo accounts (README): login → account; a key alone for seven, Telnyx."""


def _md5(text: str) -> str:
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def _site_of(request: web.Request) -> str:
    """The site a request was sent to: its host name, without ``www.``."""
    name = (request.host.rsplit(":", 1)[0] if request.host else "").lower()
    first, _, rest = name.partition(".")
    return rest if rest and first.rstrip("2345") == "www" else name


def _within(window: deque[float], now: float, period: float) -> deque[float]:
    while window and window[0] <= now - period:
        window.popleft()
    return window


class StandinProvider:
    """Both providers' balance endpoints, with state tests can change."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        """Initialise with one ``demo`` account at each provider."""
        self.clock = clock
        self.smsc_accounts: dict[str, Account] = {
            "demo": Account("demo-password", api_key="demo-smsc-key")
        }
        self.agile_accounts: dict[str, Account] = {
            "demo": Account("demo-password", api_key="demo-agile-key", currency="EUR")
        }
        self.allowed_ips: list[str] | None = None
        self.smsc_max_per_minute = SMSC_REQUESTS_PER_MINUTE
        self.agile_max_per_minute: int | None = None
        # Every provider's accounts by login (SMSC and Agile: the two above).
        self.accounts: dict[str, dict[str, Account]] = {
            "smsc": self.smsc_accounts,
            "agile": self.agile_accounts,
            **copy.deepcopy(DEMO_ACCOUNTS),
        }
        # Requests per minute a login may make at the others (None: no limit).
        self.max_per_minute: dict[str, int | None] = dict.fromkeys(EMULATIONS)
        self.delay = 0.0
        self.hang_seconds = 60.0
        self.hanging = 0  # requests held by a forced "hang" now
        self.source = ""  # a test's label for whoever sends requests now
        # API keys replaced by change_secret, and whose they were.
        self._retired_keys: dict[str, str] = {}
        self.seen: list[Seen] = []
        self.log: list[Exchange] = []
        self.keep_seen = True
        self.requests: Counter[str] = Counter()
        self._forced: deque[Forced] = deque()
        self._forced_for: dict[str, deque[Forced]] = {}
        self._smsc_windows: dict[str, deque[float]] = {}
        # Keyed (site, IP); the site "*" stands for every site.
        self._smsc_failures: dict[tuple[str, str], deque[float]] = {}
        self._smsc_blocked_until: dict[tuple[str, str], float] = {}
        # Requests that arrived while their IP was blocked (each prolonged it).
        self.during_block: Counter[str] = Counter()
        self._agile_windows: dict[str, deque[float]] = {}
        self._windows: dict[tuple[str, str], deque[float]] = {}
        # Requests of one login in flight now, and the most ever seen.
        self.in_flight: Counter[str] = Counter()
        self.most_in_flight: Counter[str] = Counter()
        self._running = asyncio.Event()
        self._running.set()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.app = web.Application()
        self.app.router.add_route("*", SMSC_PATH, self._wrap(self._smsc, "smsc"))
        self.app.router.add_get(AGILE_PATH, self._wrap(self._agile, "agile"))
        for path in dict.fromkeys(e.path for e in EMULATIONS.values()):
            self.app.router.add_route("*", path, self._dispatch(path))
        self.app.router.add_get("/_standin/state", self._get_state)
        self.app.router.add_post("/_standin/state", self._post_state)
        self.app.router.add_post("/_standin/respond_next", self._post_respond_next)

    # Lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0: a free port); return the base URL."""
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0]
        self.url = f"http://{host}:{bound[1]}"
        return self.url

    async def close(self) -> None:
        """Release held requests and stop serving."""
        self._closing.set()
        self._running.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # Test controls

    def respond_next(
        self,
        status: int,
        body: bytes | str = b"",
        *,
        headers: Mapping[str, str] | None = None,
        count: int = 1,
        login: str | None = None,
        action: str = "answer",
        outcome: str | None = None,
    ) -> None:
        """Answer the next ``count`` provider requests with this, whatever they ask.

        With ``login``, only that login's requests (before any other forced
        answer). ``action="reset"`` closes the connection instead;
        ``action="hang"`` answers nothing for :attr:`hang_seconds`.
        ``outcome`` says what the answer stands for in :attr:`log` (by
        default ``"forced"``, or the action).
        """
        raw = body.encode() if isinstance(body, str) else body
        logged = outcome or ("forced" if action == "answer" else action)
        forced = [Forced(status, raw, dict(headers or {}), action, logged)] * count
        if login is None:
            self._forced.extend(forced)
        else:
            self._forced_for.setdefault(login, deque()).extend(forced)

    fail_next = respond_next

    def pause(self) -> None:
        """Hold every provider request (after counting it) until :meth:`resume`."""
        self._running.clear()

    def resume(self) -> None:
        """Let held requests go on."""
        self._running.set()

    def reset(self) -> None:
        """Forget request windows, failures, blocks, queued answers and counts."""
        self._forced.clear()
        self._forced_for.clear()
        self._smsc_windows.clear()
        self._smsc_failures.clear()
        self._smsc_blocked_until.clear()
        self.during_block.clear()
        self._agile_windows.clear()
        self._windows.clear()
        self.seen.clear()
        self.log.clear()
        self.requests.clear()

    # Request handling common to both providers

    def _wrap(
        self,
        handler: Callable[[web.Request, dict[str, str]], web.Response],
        provider: str,
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handle(request: web.Request) -> web.Response:
            request[PROVIDER] = provider
            form = {}
            if request.method == "POST":
                form = {k: str(v) for k, v in (await request.post()).items()}
            self.requests[request.path] += 1
            if self.keep_seen:
                self.seen.append(
                    Seen(
                        request.method,
                        request.path,
                        dict(request.query),
                        form,
                        dict(request.headers),
                        request.remote,
                    )
                )
            params = request[PARAMS] = {**request.query, **form}
            login = self._login_of(request, params)
            self.in_flight[login] += 1
            self.most_in_flight[login] = max(
                self.most_in_flight[login], self.in_flight[login]
            )
            try:
                return await self._answer(request, handler, params, login)
            finally:
                self.in_flight[login] -= 1

        return handle

    def _dispatch(self, path: str) -> Callable[[web.Request], Awaitable[web.Response]]:
        """The handler of a path: the last provider there that claims a request.

        The path's first provider (ClickSend, seven.io) claims every request;
        those added later (Brevo, SMS.to) claim only their own and are asked
        first.
        """
        handlers = [
            (emulation.claims, self._wrap(self._beyond, key))
            for key, emulation in EMULATIONS.items()
            if emulation.path == path
        ]

        async def handle(request: web.Request) -> web.Response:
            found = (h for claims, h in reversed(handlers) if claims(request))
            return await next(found, handlers[0][1])(request)

        return handle

    async def _answer(
        self,
        request: web.Request,
        handler: Callable[[web.Request, dict[str, str]], web.Response],
        params: dict[str, str],
        login: str,
    ) -> web.Response:
        arrived = self.clock()
        await self._running.wait()
        if self.delay:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), self.delay)
        queue = self._forced_for.get(login)
        if queue or self._forced:
            forced = queue.popleft() if queue else self._forced.popleft()
            request[ARRIVED] = arrived
            self._log(
                request,
                login,
                forced.outcome,
                forced.status,
                retry_after=_seconds(forced.headers.get("Retry-After")),
                forced=True,
            )
            if forced.action == "hang":
                self.hanging += 1
                try:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._closing.wait(), self.hang_seconds)
                finally:
                    self.hanging -= 1
            elif forced.action == "reset" and request.transport is not None:
                request.transport.close()
            return web.Response(
                status=forced.status, body=forced.body, headers=forced.headers
            )
        request[ARRIVED] = arrived
        return handler(request, params)

    def _login_of(self, request: web.Request, params: Mapping[str, str]) -> str:
        """The login a request names (``""``: none known)."""
        if (provider := request[PROVIDER]) in EMULATIONS:
            return self._beyond_account(provider, request)[0]
        if request.path == SMSC_PATH:
            if apikey := params.get("apikey"):
                accounts = self.smsc_accounts.items()
                found = (n for n, a in accounts if a.api_key == apikey)
                return next(found, self._retired_keys.get(apikey, ""))
            return params.get("login", "")
        if api_key := request.headers.get("X-Api-Key"):
            accounts = self.agile_accounts.items()
            found = (n for n, a in accounts if a.api_key == api_key)
            return next(found, self._retired_keys.get(api_key, ""))
        if authorization := request.headers.get("Authorization"):
            return _basic_credentials(authorization)[0]
        return ""

    def _log(
        self,
        request: web.Request,
        login: str,
        outcome: str,
        status: int = 200,
        *,
        balance: str | None = None,
        retry_after: float | None = None,
        forced: bool = False,
    ) -> None:
        self.log.append(
            Exchange(
                request.get(ARRIVED, self.clock()),
                request[PROVIDER],
                _site_of(request),
                request.remote or "",
                login,
                outcome,
                status,
                balance,
                retry_after,
                self.source,
                forced,
            )
        )

    def block(
        self,
        ip: str = "127.0.0.1",
        seconds: float = SMSC_BLOCK_SECONDS,
        *,
        site: str = "*",
    ) -> None:
        """Block ``ip`` at SMSC as if it had failed to log in five times.

        At one ``site`` (a host name without ``www.``), or at every site;
        ``seconds <= 0`` lifts the block (at every site: every block of ``ip``).
        """
        if seconds <= 0 and site == "*":
            for key in [key for key in self._smsc_blocked_until if key[1] == ip]:
                del self._smsc_blocked_until[key]
        self._smsc_blocked_until[site, ip] = self.clock() + seconds

    def smsc_blocked_until(
        self, ip: str = "127.0.0.1", *, site: str = "*"
    ) -> float | None:
        """When SMSC's block of ``ip`` at ``site`` ends (stand-in clock), if any.

        A block of every site counts at each site.
        """
        until = max(
            self._smsc_blocked_until.get(("*", ip), -math.inf),
            self._smsc_blocked_until.get((site, ip), -math.inf),
        )
        return until if until > self.clock() else None

    def change_secret(
        self,
        provider: str,
        login: str,
        *,
        password: str | None = None,
        api_key: str | None = None,
    ) -> None:
        """Change an account's password or API key, as its owner would.

        Requests with the old key are still logged under ``login``.
        """
        account = self.accounts[provider][login]
        if password is not None:
            account.password = password
        if api_key is not None:
            if account.api_key is not None:
                self._retired_keys[account.api_key] = login
            account.api_key = api_key

    def _ip_allowed(self, request: web.Request, account: Account | None) -> bool:
        return all(
            allowed is None or request.remote in allowed
            for allowed in (
                self.allowed_ips,
                None if account is None else account.allowed_ips,
            )
        )

    # SMSC

    def _smsc(self, request: web.Request, params: dict[str, str]) -> web.Response:
        fmt = params.get("fmt", "1")
        ip, site = request.remote or "", _site_of(request)
        now = self.clock()
        login = self._login_of(request, params)

        def error(code: int, outcome: str) -> web.Response:
            self._log(request, login, outcome)
            return self._smsc_error(fmt, code)

        if self.smsc_blocked_until(ip, site=site) is not None:
            # Knocking on a blocked door keeps it shut for longer.
            for key in (("*", ip), (site, ip)):
                if self._smsc_blocked_until.get(key, -math.inf) > now:
                    self._smsc_blocked_until[key] = now + SMSC_BLOCK_SECONDS
            self.during_block[ip] += 1
            return error(4, "blocked")
        psw, apikey = params.get("psw", ""), params.get("apikey", "")
        if not (params.get("login") and psw) and not apikey:
            return error(1, "bad_request")
        account = self.smsc_accounts.get(login)
        if (
            account is None
            or not self._ip_allowed(request, account)
            or (apikey and apikey != account.api_key)
            or (not apikey and psw not in (account.password, _md5(account.password)))
        ):
            # Error 2, whatever the cause: each counts towards the block.
            failures = _within(
                self._smsc_failures.setdefault((site, ip), deque()),
                now,
                SMSC_BLOCK_SECONDS,
            )
            failures.append(now)
            if len(failures) >= SMSC_FAILURES_BEFORE_BLOCK:
                self._smsc_blocked_until[site, ip] = now + SMSC_BLOCK_SECONDS
                failures.clear()
            return error(2, "rejected")
        window = _within(self._smsc_windows.setdefault(login, deque()), now, 60.0)
        if (
            len(window) >= self.smsc_max_per_minute
            or self.in_flight[login] >= SMSC_MAX_IN_FLIGHT
        ):
            return error(9, "rate_limited")
        window.append(now)
        self._log(request, login, "ok", balance=account.balance)
        return self._smsc_balance(fmt, account, currency=params.get("cur") == "1")

    @staticmethod
    def _smsc_balance(fmt: str, account: Account, *, currency: bool) -> web.Response:
        values = {"balance": account.balance}
        if currency:
            if account.credit.strip("0.") != "":
                values["credit"] = account.credit
            values["currency"] = account.currency
        if fmt == "3":
            return web.json_response(values)
        if fmt == "2":
            if not currency:
                return web.Response(text=f"<balance>{account.balance}</balance>")
            tags = "".join(f"<{k}>{v}</{k}>\n" for k, v in values.items())
            return web.Response(text=f"<result>\n{tags}</result>")
        if not currency:
            return web.Response(text=account.balance)
        separator = " " if fmt == "0" else ","
        return web.Response(text=f"{account.balance}{separator}{account.currency}")

    @staticmethod
    def _smsc_error(fmt: str, code: int) -> web.Response:
        description = SMSC_ERRORS[code]
        if fmt == "3":
            return web.json_response({"error": description, "error_code": code})
        if fmt == "2":
            return web.Response(
                text=f"<result>\n<error>{description}</error>\n"
                f"<error_code>{code}</error_code>\n</result>"
            )
        if fmt == "0":
            return web.Response(text=f"ERROR = {code} ({description})")
        return web.Response(text=f"0,-{code}")

    # Agile Telecom

    def _agile(self, request: web.Request, params: dict[str, str]) -> web.Response:
        login = self._login_of(request, params)
        if not self._ip_allowed(request, self.agile_accounts.get(login)):
            self._log(request, login, "not_allowed", 403)
            return _jsend(403, "Source IP is not allowed", 100)
        account = self._agile_account(request)
        if not isinstance(account, Account):
            outcome = "rejected" if account.body else "bad_request"
            self._log(request, login, outcome, 401)
            return account
        if self.agile_max_per_minute is not None:
            now = self.clock()
            window = _within(self._agile_windows.setdefault(login, deque()), now, 60.0)
            if len(window) >= self.agile_max_per_minute:
                wait = math.ceil(window[0] + 60.0 - now) if window else 60
                self._log(request, login, "rate_limited", 429, retry_after=wait)
                return web.Response(status=429, headers={"Retry-After": str(wait)})
            window.append(now)
        self._log(request, login, "ok", balance=account.balance)
        return web.Response(
            text=f'{{"credit": {account.balance}}}', content_type="application/json"
        )

    def _agile_account(self, request: web.Request) -> Account | web.Response:
        """Return the authenticated account, or the 401 answer."""
        if api_key := request.headers.get("X-Api-Key"):
            found = (a for a in self.agile_accounts.values() if a.api_key == api_key)
            return next(found, None) or _jsend(401, "Wrong credentials", 1)
        if authorization := request.headers.get("Authorization"):
            login, password = _basic_credentials(authorization)
            account = self.agile_accounts.get(login)
            if account is None:
                return _jsend(401, "User not found", 11)
            if password != account.password:
                return _jsend(401, "Wrong credentials", 1)
            return account
        return web.Response(
            status=401, headers={"WWW-Authenticate": 'Basic realm="Agile"'}
        )

    # The providers beyond SMSC and Agile

    def _beyond_account(
        self, provider: str, request: web.Request
    ) -> tuple[str, Account | None]:
        """The login a request names and its account, if the secret is right.

        A key alone names its account; a retired key still names its old one.
        """
        login, secret = EMULATIONS[provider].credentials(request)
        accounts = self.accounts[provider]
        if provider == "twilio":  # the Account SID in the path; its token or a key
            sid = request.match_info.get("sid", "")
            account = accounts.get(sid)
            if account is None:
                return sid, None
            pairs = ((sid, account.password), (account.key_sid, account.api_key))
            return sid, account if (login, secret) in pairs else None
        if login:
            account = accounts.get(login)
            return login, account if account and account.password == secret else None
        for name, account in accounts.items():
            if secret and account.api_key == secret:
                return name, account
        return self._retired_keys.get(secret, ""), None

    def _beyond(self, request: web.Request, _params: dict[str, str]) -> web.Response:
        """Answer as the provider documents: its paths, login, bodies and errors."""
        provider = request[PROVIDER]
        emulation = EMULATIONS[provider]
        login, account = self._beyond_account(provider, request)

        def answer(
            outcome: str,
            reply: tuple[int, Any] | tuple[int, Any, Mapping[str, str]],
        ) -> web.Response:
            status, body, *headers = reply
            wait = _seconds(
                ({} if not headers else headers[0]).get("x-ratelimit-reset")
            )
            self._log(request, login, outcome, status, retry_after=wait)
            text = body if isinstance(body, str) else json.dumps(body, default=float)
            return web.Response(
                status=status,
                text=text,
                headers=headers[0] if headers else None,
                content_type="text/plain"
                if isinstance(body, str)
                else "application/json",
            )

        if emulation.not_allowed and not self._ip_allowed(request, account):
            return answer("not_allowed", emulation.not_allowed)
        if account is None:
            return answer("rejected", emulation.rejected)
        if account.denied:
            return answer("denied", emulation.denied)
        if account.sub_account and emulation.no_balance:
            return answer("no_balance", emulation.no_balance)
        if (limit := self.max_per_minute[provider]) is not None:
            now = self.clock()
            window = _within(
                self._windows.setdefault((provider, login), deque()), now, 60
            )
            if len(window) >= limit:
                return answer("rate_limited", emulation.rate_limited)
            window.append(now)
        self._log(request, login, "ok", balance=account.balance)
        as_text = emulation.text_unless_json and "application/json" not in (
            request.headers.get("Accept", "")
        )
        body = json.dumps(emulation.balance(login, account), default=float)
        return web.Response(  # as text: the old API's bare number
            text=account.balance if as_text else body,
            content_type="text/plain" if as_text else "application/json",
        )

    # Control API

    def state(self) -> dict[str, Any]:
        """Return the state the control API shows."""
        return {
            **{
                provider: {k: asdict(v) for k, v in accounts.items()}
                for provider, accounts in self.accounts.items()
            },
            "max_per_minute": self.max_per_minute,
            "allowed_ips": self.allowed_ips,
            "smsc_max_per_minute": self.smsc_max_per_minute,
            "agile_max_per_minute": self.agile_max_per_minute,
            "delay": self.delay,
            "blocked": {
                (ip if site == "*" else f"{ip}@{site}"): math.ceil(until - self.clock())
                for (site, ip), until in self._smsc_blocked_until.items()
                if until > self.clock()
            },
            "requests": dict(self.requests),
            "queued_answers": len(self._forced),
        }

    def update(self, changes: Mapping[str, Any]) -> None:
        """Merge a state given as the control API takes it."""
        if changes.get("reset"):
            self.reset()
        for key, accounts in self.accounts.items():
            for login, values in changes.get(key, {}).items():
                merged = asdict(accounts.get(login, Account("")))
                accounts[login] = Account(**(merged | values))
        for key, seconds in changes.get("blocked", {}).items():
            ip, _, site = str(key).partition("@")
            self.block(ip, float(seconds), site=site or "*")
        self.max_per_minute.update(changes.get("max_per_minute", {}))
        for key in (
            "allowed_ips",
            "smsc_max_per_minute",
            "agile_max_per_minute",
            "delay",
        ):
            if key in changes:
                setattr(self, key, changes[key])

    async def _get_state(self, _request: web.Request) -> web.Response:
        return web.json_response(self.state())

    async def _post_state(self, request: web.Request) -> web.Response:
        try:
            self.update(await request.json())
        except (ValueError, TypeError, AttributeError) as err:
            return web.json_response({"error": str(err)}, status=400)
        return web.json_response(self.state())

    async def _post_respond_next(self, request: web.Request) -> web.Response:
        try:
            data = await request.json()
            self.respond_next(
                int(data["status"]),
                str(data.get("body", "")),
                headers=data.get("headers"),
                count=int(data.get("count", 1)),
                login=data.get("login"),
                action=str(data.get("action", "answer")),
            )
        except (ValueError, TypeError, KeyError, AttributeError) as err:
            return web.json_response({"error": str(err)}, status=400)
        return web.json_response(self.state())


def _basic_credentials(authorization: str) -> tuple[str, str | None]:
    """Return login and password of a Basic ``Authorization`` value."""
    scheme, _, token = authorization.partition(" ")
    try:
        decoded = base64.b64decode(token, validate=True).decode()
    except ValueError:
        return "", None
    login, _, password = decoded.partition(":")
    return (login, password) if scheme.lower() == "basic" else ("", None)


def _seconds(value: str | None) -> float | None:
    """A ``Retry-After`` in seconds, if it is one."""
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _jsend(status: int, message: str, code: int) -> web.Response:
    return web.json_response(
        {"status": "error", "message": message, "code": code}, status=status
    )


def main(argv: list[str] | None = None) -> None:
    """Serve both providers until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    args = parser.parse_args(argv)
    web.run_app(StandinProvider().app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
