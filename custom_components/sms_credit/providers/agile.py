"""Agile Telecom (Italy).

``GET <host>/services/sms/credit`` with Basic authentication or an
``X-Api-Key`` header answers ``{"credit": 10.324}``: the credit in euros.
Errors come as HTTP statuses (401 credentials, 403 source IP not allowed,
429 rate limited, 5XX server side) with a JSend body
``{"status": "error", "message": "…", "code": N}`` on 5XX; the body of a 4XX
is not documented, so any body (JSend, empty, HTML) is accepted there.

Agile publishes no request limit. :data:`AGILE_RATE_LIMIT` is our own gentle
ceiling (10 a minute, 2 at once), far above what polling needs; a 429 from the
provider is honoured through its ``Retry-After``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from ._http import API_KEY_AUTH, PASSWORD_AUTH, HttpProviderClient
from ._parse import (
    check_size,
    describe,
    header,
    load_json,
    parse_amount,
    parse_code,
    parse_retry_after,
)
from .models import (
    AuthenticationError,
    Balance,
    IpNotAllowedError,
    MalformedResponseError,
    ProviderError,
    ProviderServerError,
    ProviderSpec,
    RateLimit,
    RateLimitedError,
)

if TYPE_CHECKING:
    import aiohttp

    from .limiter import RateLimiter

AGILE_HOSTS = ("https://secure.agiletelecom.com", "https://http-api.agiletelecom.com")
"""Where accounts live; the first is the documented one and the default."""

AGILE_RATE_LIMIT = RateLimit(max_requests=10, period=60, max_concurrent=2)
"""Our own choice: Agile Telecom publishes no limit."""

CURRENCY = "EUR"
"""The credit is documented to be in euros."""

_AUTH_CODES = frozenset({1, 11})
_IP_CODE = 100


def basic_authorization(username: str, password: str) -> str:
    """Return the ``Authorization`` value for Basic authentication (UTF-8)."""
    if ":" in username:
        msg = "a Basic username cannot contain ':'"
        raise ValueError(msg)
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _error(status: int, data: object) -> ProviderError:
    """Map an error answer (HTTP status and JSend body, if any) to an error."""
    fields = data if isinstance(data, dict) else {}
    code = parse_code(fields.get("code"))
    message = describe(fields.get("message"))
    detail = f"HTTP {status}" + (f", code {code}" if code is not None else "")
    detail += f": {message}" if message else ""
    if code in _AUTH_CODES or (code is None and status == 401):
        return AuthenticationError(f"invalid credentials ({detail})")
    if code == _IP_CODE or (code is None and status == 403):
        return IpNotAllowedError(f"the source IP address is not allowed ({detail})")
    return ProviderServerError(f"provider error ({detail})")


def parse_agile_response(
    status: int, body: bytes, headers: Mapping[str, str]
) -> Balance:
    """Read an answer of ``/services/sms/credit``.

    Returns the balance or raises a ``ProviderError``, whatever the input.
    """
    check_size(body)
    if status == 429:
        retry_after = parse_retry_after(header(headers, "Retry-After"))
        raise RateLimitedError("rate limited (HTTP 429)", retry_after=retry_after)
    if not 200 <= status < 300:
        try:
            data = load_json(body)
        except MalformedResponseError:
            data = None
        raise _error(status, data)
    data = load_json(body)
    if not isinstance(data, dict):
        raise MalformedResponseError("the response is not a JSON object")
    if "credit" not in data and data.get("status") in ("error", "fail"):
        raise _error(status, data)
    credit = data.get("credit")
    if not isinstance(credit, Decimal):
        raise MalformedResponseError("the credit is missing or not a number")
    return Balance(parse_amount(credit, "credit"), CURRENCY)


class AgileClient(HttpProviderClient):
    """Reads the credit of one Agile Telecom account.

    Credentials: ``username`` always (with the ``api_key`` method it only
    names the account), and ``password`` (Basic) or ``api_key``
    (``X-Api-Key``, the provider's recommended method).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        host: str = AGILE_HOSTS[0],
        auth_method: str,
        credentials: Mapping[str, str],
        timeout: float = 10.0,
        limiter: RateLimiter | None = None,
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
        self._headers = {"Accept": "application/json"}
        if auth_method == "api_key":
            self._require("api_key")
            self._headers["X-Api-Key"] = self._credentials["api_key"]
        elif auth_method == "password":
            self._require("password")
            self._headers["Authorization"] = basic_authorization(
                self.account, self._credentials["password"]
            )
        else:
            msg = f"unknown auth method {auth_method!r}"
            raise ValueError(msg)

    def _derived_secrets(self) -> tuple[str, ...]:
        """The Basic token holds the password."""
        return (self._headers.get("Authorization", "").removeprefix("Basic "),)

    async def _async_fetch_balance(self) -> Balance:
        """Ask for the credit."""
        response = await self._async_request(
            "GET", f"{self.host}/services/sms/credit", headers=self._headers
        )
        return parse_agile_response(response.status, response.body, response.headers)


SPEC = ProviderSpec(
    key="agile",
    name="Agile Telecom",
    hosts=AGILE_HOSTS,
    auth_methods=(PASSWORD_AUTH, API_KEY_AUTH),
    rate_limit=AGILE_RATE_LIMIT,
    panel_url="https://secure.agiletelecom.com/",
    client_factory=AgileClient,
)
"""The registry entry."""
