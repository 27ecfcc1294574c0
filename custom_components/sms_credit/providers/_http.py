"""The HTTP plumbing every provider client shares.

A provider module only says which request to send and how to read the
answer; sending it through the rate limiter, the timeout, the size cap, the
mapping of network failures and the scrubbing of secrets happen here, once.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
import logging
from typing import ClassVar

import aiohttp

from ._parse import MAX_ANSWER_BYTES, describe
from .client import ProviderClient
from .models import (
    AuthMethod,
    Balance,
    CredentialField,
    FieldKind,
    MalformedResponseError,
    ProviderConnectionError,
    ProviderError,
    ProviderServerError,
    ProviderTimeoutError,
)

_LOGGER = logging.getLogger(__name__)

USERNAME = CredentialField("username")
PASSWORD = CredentialField("password", FieldKind.PASSWORD)
API_KEY = CredentialField("api_key", FieldKind.PASSWORD)

PASSWORD_AUTH = AuthMethod("password", (USERNAME, PASSWORD), "username")
"""Login and password."""

API_KEY_AUTH = AuthMethod("api_key", (USERNAME, API_KEY), "username")
"""An API key; the login only names the account and is not sent."""

REDACTED = "**REDACTED**"


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """What came back: the status, the (capped) body and the headers."""

    status: int
    body: bytes
    headers: Mapping[str, str]


async def _read_capped(response: aiohttp.ClientResponse) -> bytes:
    if (response.content_length or 0) > MAX_ANSWER_BYTES:
        raise MalformedResponseError("the response is too large")
    body = bytearray()
    while chunk := await response.content.read(MAX_ANSWER_BYTES + 1 - len(body)):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise MalformedResponseError("the response is too large")
    return bytes(body)


class HttpProviderClient(ProviderClient):
    """A provider client that learns the balance from one HTTP request.

    Subclasses implement :meth:`_async_fetch_balance` with
    :meth:`_async_request`. Whatever happens, :meth:`async_get_balance`
    raises nothing but :class:`ProviderError`, and no message it raises holds
    a secret (the values of :attr:`secret_fields` and :meth:`_derived_secrets`
    are replaced by ``**REDACTED**``).
    """

    secret_fields: ClassVar[tuple[str, ...]] = ("password", "password_md5", "api_key")

    @property
    def account(self) -> str:
        """The login that names the account."""
        return self._credentials.get("username", "").strip()

    def _require(self, *keys: str) -> None:
        """Raise ``ValueError`` when a credential is missing or blank."""
        for key in keys:
            if not self._credentials.get(key, "").strip():
                msg = f"the {key!r} credential is required"
                raise ValueError(msg)

    def _derived_secrets(self) -> tuple[str, ...]:
        """Values computed from the credentials that must never be shown."""
        return ()

    def _redact(self, text: str) -> str:
        secrets = [
            *(self._credentials.get(key, "") for key in self.secret_fields),
            *self._derived_secrets(),
        ]
        for secret in sorted(filter(None, secrets), key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    async def async_get_balance(self) -> Balance:
        """Return the account's balance, or raise a ``ProviderError``."""
        failure: ProviderError | None = None
        try:
            balance = await self._async_fetch_balance()
        except ProviderError as err:
            err.args = tuple(
                self._redact(arg) if isinstance(arg, str) else arg for arg in err.args
            )
            if self.limiter is not None:
                self.limiter.record(err)
            raise
        except Exception as err:  # noqa: BLE001 - the contract: nothing else escapes
            _LOGGER.debug("unexpected %s from %s", type(err).__name__, self.host)
            failure = ProviderError(f"unexpected error ({type(err).__name__})")
        if failure is not None:
            # Raised outside the handler: the original (which may hold the
            # request, headers and all) is neither cause nor context.
            raise failure
        if self.limiter is not None:
            self.limiter.record(None)
        return balance

    @abstractmethod
    async def _async_fetch_balance(self) -> Balance:
        """Ask the provider for the balance (may raise anything)."""

    async def _async_request(
        self,
        method: str,
        url: str,
        *,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpResponse:
        """Send one request, after the rate limiter (if any) allowed it."""
        if self.limiter is None:
            return await self._async_send(method, url, data=data, headers=headers)
        async with self.limiter.acquire():
            return await self._async_send(method, url, data=data, headers=headers)

    async def _async_send(
        self,
        method: str,
        url: str,
        *,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> HttpResponse:
        failure: ProviderError | None = None
        try:
            async with self._session.request(
                method,
                url,
                data=data,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                # A redirect could carry an API key header to another host.
                allow_redirects=False,
            ) as response:
                body = await _read_capped(response)
                status, answer_headers = response.status, response.headers
        except TimeoutError:
            failure = ProviderTimeoutError(
                f"no answer from {url} within {self.timeout:g} s"
            )
        except (aiohttp.ClientError, OSError) as err:
            # aiohttp keeps the request (headers and all) on its errors: only
            # a short description of the error is kept.
            failure = ProviderConnectionError(
                f"cannot reach {url}: {describe(str(err)) or type(err).__name__}"
            )
        if failure is not None:
            # Raised outside the handler, so that neither ``__cause__`` nor
            # ``__context__`` leads back to aiohttp's exception.
            raise failure
        _LOGGER.debug("%s %s: HTTP %s, %d bytes", method, url, status, len(body))
        if 300 <= status < 400:
            msg = f"unexpected redirect (HTTP {status}); check the host"
            raise ProviderServerError(msg)
        return HttpResponse(status, body, answer_headers)
