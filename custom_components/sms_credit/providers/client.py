"""The shape every provider client has."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aiohttp

    from .limiter import RateLimiter
    from .models import Balance


class ProviderClient(ABC):
    """Fetches the balance of one account from one provider.

    The client owns no session (the caller injects one), keeps credentials
    out of every message and ``repr``, and sends each HTTP request only after
    the account's :class:`RateLimiter` (when given) allowed it.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        host: str,
        auth_method: str,
        credentials: Mapping[str, str],
        timeout: float = 10.0,
        limiter: RateLimiter | None = None,
    ) -> None:
        """Initialise the client for one account."""
        self._session = session
        self.host = host.rstrip("/")
        self.auth_method = auth_method
        self._credentials = dict(credentials)
        self.timeout = timeout
        self.limiter = limiter

    @property
    @abstractmethod
    def account(self) -> str:
        """The account's public identifier (a login, never a secret)."""

    @abstractmethod
    async def async_get_balance(self) -> Balance:
        """Return the account's balance, or raise a ``ProviderError``."""

    def __repr__(self) -> str:
        """Describe the client without its credentials."""
        return (
            f"{type(self).__name__}(host={self.host!r}, "
            f"auth_method={self.auth_method!r}, account={self.account!r})"
        )
