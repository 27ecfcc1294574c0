"""Telnyx: the balance, its currency and the credit limit, by API key.

``GET /v2/balance`` with ``Authorization: Bearer``. Amounts are decimal
strings, the currency ISO 4217. Errors are ``{"errors": [{"code", "title",
"detail"}]}``: 10009 a rejected key, 10010 a key that may not read the
balance, 10011 too many requests (a 429, whose ``x-ratelimit-reset`` says
for how many seconds). No limit is published.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._parse import http_error, json_answer, parse_amount, parse_code, parse_currency
from .models import (
    API_KEY_LOGIN,
    AccessDeniedError,
    AuthenticationError,
    Balance,
    MalformedResponseError,
    ProviderSpec,
    Request,
    Response,
    Site,
)


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:  # noqa: ARG001 - one way to log in
    """The API key as a bearer token."""
    headers = {
        "Accept": "application/json",
        "Authorization": f"Bearer {creds['api_key'].strip()}",
    }
    return Request("GET", f"{base_url}/v2/balance", headers)


def read_answer(response: Response) -> Balance:
    """Read ``data``; the first error's code decides, else the HTTP status."""
    data = json_answer(response, reset="x-ratelimit-reset")
    if 200 <= response.status < 300:
        if not isinstance(balance := data.get("data"), dict):
            raise MalformedResponseError("the balance is missing")
        limit = balance.get("credit_limit")
        return Balance(
            parse_amount(balance.get("balance"), "balance"),
            parse_currency(balance.get("currency")),
            None if limit is None else parse_amount(limit, "credit limit"),
        )
    errors = data.get("errors")
    first = errors[0] if isinstance(errors, list) and errors else {}
    first = first if isinstance(first, dict) else {}
    code = parse_code(first.get("code"))
    if code == 10009:
        raise AuthenticationError(
            f"invalid API key (HTTP {response.status}, code 10009)"
        )
    if code == 10010:
        msg = (
            f"the API key may not read the balance (HTTP {response.status}, code 10010)"
        )
        raise AccessDeniedError(msg, field="api_key")
    raise http_error(response.status, code, first.get("detail") or first.get("title"))


SPEC = ProviderSpec(
    key="telnyx",
    name="Telnyx",
    sites=(Site("https://api.telnyx.com"),),
    auth_methods=(API_KEY_LOGIN,),
    permission="access to the account's balance",
    panel_url="https://portal.telnyx.com/#/app/api-keys",
    build_request=build_request,
    read_answer=read_answer,
)
