"""ClickSend: the balance in the account's currency, from ``GET /v3/account``.

Basic auth with the API username and API key. Answers come in an envelope
(``http_code``, ``response_code``, ``response_msg``, ``data``); the balance
is a decimal string, the currency ``data._currency.currency_name_short``.
No limit is published; a 429 is a wait.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._parse import (
    basic_auth,
    describe,
    http_error,
    json_answer,
    parse_amount,
    parse_currency,
)
from .models import (
    AuthenticationError,
    Balance,
    MalformedResponseError,
    ProviderServerError,
    ProviderSpec,
    Request,
    Response,
    Site,
    login,
)


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:  # noqa: ARG001 - one way to log in
    """Basic authentication: API username and API key."""
    headers = basic_auth(creds["api_username"], creds["api_key"])
    return Request("GET", f"{base_url}/v3/account", headers)


def read_answer(response: Response) -> Balance:
    """Read the envelope: its ``response_code`` decides, else the HTTP status."""
    data, status = json_answer(response), response.status
    code = data.get("response_code")
    if 200 <= status < 300 and code in (None, "SUCCESS"):
        account = data.get("data")
        if not isinstance(account, dict):
            raise MalformedResponseError("the account is missing")
        currency = account.get("_currency")
        short = (
            currency.get("currency_name_short") if isinstance(currency, dict) else None
        )
        return Balance(
            parse_amount(account.get("balance"), "balance"), parse_currency(short)
        )
    message = describe(data.get("response_msg"))
    if code in {"INVALID_CREDENTIALS", "UNAUTHORIZED"}:
        raise AuthenticationError(f"invalid credentials (HTTP {status}: {message})")
    if code == "ACCOUNT_NOT_ACTIVATED":
        raise ProviderServerError(f"the account is not activated (HTTP {status})")
    raise http_error(status, code, message)


SPEC = ProviderSpec(
    key="clicksend",
    name="ClickSend",
    sites=(Site("https://rest.clicksend.com"),),
    auth_methods=(login("api_key", "api_username", "api_key"),),
    permission="access to the account's balance (a subaccount's access rights)",
    panel_url="https://dashboard.clicksend.com/account/subaccounts",
    build_request=build_request,
    read_answer=read_answer,
)
