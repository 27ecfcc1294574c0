"""TextMagic: the balance in the account's currency, from ``GET /api/v2/user``.

Headers ``X-TM-Username`` and ``X-TM-Key`` (a v2 API key: v1 keys are not
valid). ``balance`` is a number "in account currency", ``currency.id`` its
ISO code. Errors are ``{"code", "message", "errors"}``: 401 rejected
credentials, 429 "Request limit reached", 500, 503 maintenance. The
documented limit, 20 requests a second per account, is far above our
default ceiling (10 a minute, 2 at once), which is kept. Unverified: what
a sub-account's login reads (a balance of its own, or its parent's).
"""

from __future__ import annotations

from collections.abc import Mapping

from ._parse import http_error, json_answer, parse_amount, parse_currency
from .models import Balance, ProviderSpec, Request, Response, Site, login


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:  # noqa: ARG001 - one way to log in
    """Username and API key in TextMagic's own headers; JSON asked for."""
    headers = {
        "Accept": "application/json",
        "X-TM-Username": creds["username"].strip(),
        "X-TM-Key": creds["api_key"],
    }
    return Request("GET", f"{base_url}/api/v2/user", headers)


def read_answer(response: Response) -> Balance:
    """Read ``balance`` and ``currency.id``; errors by status, their message quoted."""
    data, status = json_answer(response), response.status
    if 200 <= status < 300:
        currency = data.get("currency")
        code = currency.get("id") if isinstance(currency, dict) else None
        amount = parse_amount(data.get("balance"), "balance")
        return Balance(amount, parse_currency(code))
    raise http_error(status, None, data.get("message"))


SPEC = ProviderSpec(
    key="textmagic",
    name="TextMagic",
    sites=(Site("https://rest.textmagic.com"),),
    auth_methods=(login("api_key", "username", "api_key"),),
    permission="a v2 API key of the account's own username",
    panel_url="https://my.textmagic.com/online/api/rest-api/keys",
    build_request=build_request,
    read_answer=read_answer,
)
