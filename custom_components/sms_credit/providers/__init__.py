"""Balance APIs of SMS gateways: declared providers, one client for all.

A library of its own: it needs only ``aiohttp`` (the caller passes the session).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import nullcontext
from dataclasses import replace
from importlib import import_module
from itertools import cycle
import logging
import re
from urllib.parse import quote, quote_plus

import aiohttp

from ._parse import (
    MAX_ANSWER_BYTES,
    describe,
    header,
    minor_unit as minor_unit,
    parse_retry_after as parse_retry_after,
)
from .limiter import RateLimiter as RateLimiter, SiteLimiter as SiteLimiter
from .models import (
    API_KEY_LOGIN as API_KEY_LOGIN,
    AccessDeniedError as AccessDeniedError,
    AuthenticationError as AuthenticationError,
    AuthMethod as AuthMethod,
    Balance as Balance,
    CredentialField as CredentialField,
    IpBlockedError as IpBlockedError,
    IpNotAllowedError as IpNotAllowedError,
    MalformedResponseError as MalformedResponseError,
    NoBalanceError as NoBalanceError,
    PostpaidError as PostpaidError,
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
    WrongSiteError as WrongSiteError,
    key_login as key_login,
    login as login,
    normalize_host as normalize_host,
)

_LOGGER = logging.getLogger(__name__)

REGISTRY: dict[str, str] = {
    "smsc": f"{__name__}.smsc",
    "agile": f"{__name__}.agile",
    "twilio": f"{__name__}.twilio",
    "clicksend": f"{__name__}.clicksend",
    "vonage": f"{__name__}.vonage",
    "seven": f"{__name__}.seven",
    "telnyx": f"{__name__}.telnyx",
    "elks46": f"{__name__}.elks46",
    "clickatell": f"{__name__}.clickatell",
    "plivo": f"{__name__}.plivo",
    "infobip": f"{__name__}.infobip",
    "textmagic": f"{__name__}.textmagic",
    "smsapi": f"{__name__}.smsapi",
    "gatewayapi": f"{__name__}.gatewayapi",
    "bulksms": f"{__name__}.bulksms",
    "brevo": f"{__name__}.brevo",
    "smsto": f"{__name__}.smsto",
    "mobizon": f"{__name__}.mobizon",
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


async def _read(response: aiohttp.ClientResponse) -> bytes:
    """The body, refused past :data:`MAX_ANSWER_BYTES` (streamed)."""
    if (response.content_length or 0) > MAX_ANSWER_BYTES:
        raise MalformedResponseError("the response is too large")
    body = bytearray()
    while chunk := await response.content.read(MAX_ANSWER_BYTES + 1 - len(body)):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise MalformedResponseError("the response is too large")
    return bytes(body)


class ProviderClient:
    """Fetches one account's balance: limited, capped, secret-free.

    Only :class:`ProviderError` is raised; no message, ``repr`` or log line
    holds a secret field's value or the ``Authorization`` header.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        spec: ProviderSpec,
        *,
        host: str,
        auth_method: str,
        credentials: Mapping[str, str],
        timeout: float = 10.0,
        limiter: RateLimiter | None = None,
    ) -> None:
        """Build the requests; ``ValueError`` if the credentials cannot be sent."""
        self._session = session
        self.spec = spec
        self.host = host.strip().rstrip("/")
        self.auth_method = auth_method
        self.timeout = timeout
        self.limiter = limiter
        try:
            method = spec.auth_method(auth_method)
        except KeyError:
            raise ValueError(f"unknown auth method {auth_method!r}") from None
        for field in method.fields:
            if not (value := credentials.get(field.key, "").strip()):
                raise ValueError(f"the {field.key!r} credential is required")
            if field.pattern and not re.fullmatch(field.pattern, value, re.ASCII):
                raise ValueError(f"the {field.key!r} credential is not in its form")
        self.account = credentials[method.account.key].strip()
        self._requests = [
            spec.build_request(url, auth_method, credentials)
            for url in (self.host, *spec.backups(self.host))
        ]
        self._backups = cycle(self._requests[1:])
        secrets: set[str] = set()
        for value in (credentials[f.key] for f in method.fields if f.secret):
            for text in (value, value.strip()):  # and as a URL carries it
                secrets |= {text, quote(text, safe=""), quote_plus(text)}
        for request in self._requests:
            authorization = header(request.headers, "Authorization") or ""
            secrets |= {authorization, authorization.partition(" ")[2].strip()}
        longest_first = sorted(filter(None, secrets), key=len, reverse=True)
        self._secrets = re.compile(
            "|".join(map(re.escape, longest_first)) or "(?!)", re.IGNORECASE
        )

    def __repr__(self) -> str:
        """Describe the client without its credentials."""
        return (
            f"{type(self).__name__}(provider={self.spec.key!r}, host={self.host!r}, "
            f"auth_method={self.auth_method!r}, account={self.account!r})"
        )

    def _redact(self, text: str) -> str:
        return self._secrets.sub("**REDACTED**", text)

    async def async_get_balance(self) -> Balance:
        """Return the account's balance, or raise a ``ProviderError``."""
        error: ProviderError | None = None
        try:
            balance = await self._async_fetch()
        except ProviderError as err:
            err.args = tuple(
                self._redact(a) if isinstance(a, str) else a for a in err.args
            )
            error = err
        except Exception as err:  # noqa: BLE001 - the contract: nothing else escapes
            _LOGGER.debug("unexpected %s from %s", type(err).__name__, self.host)
            error = ProviderError(f"unexpected error ({type(err).__name__})")
        if self.limiter is not None:
            self.limiter.record(error)
        if error is not None:
            # Raised outside the handler: an unexpected exception (which may
            # hold the request, headers and all) is neither cause nor context.
            raise error
        return balance

    async def _async_fetch(self) -> Balance:
        """Ask the main site, else the next of its backups in turn (one per check)."""
        try:
            response = await self._async_send(self._requests[0])
        except ProviderConnectionError as err:
            if (backup := next(self._backups, None)) is None:
                raise
            try:
                response = await self._async_send(backup)
            except ThrottledError:
                raise err from None  # the main site's failure: nothing was learnt
        balance = self.spec.read_answer(response)
        return replace(balance, currency=self.spec.currency or balance.currency)

    async def _async_send(self, request: Request) -> Response:
        """Send one request once the rate limiter (if any) allowed it."""
        url = self._redact(request.url)
        failure: ProviderError | None = None
        try:
            async with (
                self.limiter.acquire() if self.limiter else nullcontext(),
                self._session.request(
                    request.method,
                    request.url,
                    data=request.data,
                    headers=request.headers,
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                    allow_redirects=False,  # it could take a secret elsewhere
                ) as answer,
            ):
                response = Response(answer.status, answer.headers, await _read(answer))
        except TimeoutError:
            failure = ProviderTimeoutError(
                f"no answer from {url} within {self.timeout:g} s"
            )
        except (aiohttp.ClientError, OSError) as err:
            # aiohttp keeps the request (headers and all) on its errors.
            text = describe(str(err)) or type(err).__name__
            failure = ProviderConnectionError(f"cannot reach {url}: {text}")
        if failure is not None:
            raise failure  # outside the handler: aiohttp's error is not its context
        _LOGGER.debug("%s %s: HTTP %s", request.method, url, response.status)
        if 300 <= response.status < 400:
            msg = f"unexpected redirect (HTTP {response.status}); check the host"
            raise ProviderServerError(msg)
        return response
