"""seven.io (formerly sms77): the balance and its currency, by API key.

``GET /api/balance`` with ``X-Api-Key`` and ``Accept: application/json``
(without it, the old API answers a bare number as text). A refusal is a
bare integer body, on any status (unverified): 900 a wrong key, 902 a key
without the ``balance`` scope, 903 an IP address off the allow-list. No
limit is published.
"""

from __future__ import annotations

from collections.abc import Mapping
import re

from ._parse import http_error, json_answer, parse_amount, parse_currency
from .models import (
    API_KEY_LOGIN,
    AccessDeniedError,
    AuthenticationError,
    Balance,
    IpNotAllowedError,
    ProviderSpec,
    Request,
    Response,
    Site,
)

_CODE = re.compile(rb"\s*(\d{1,4})\s*", re.ASCII)


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:  # noqa: ARG001 - one way to log in
    """The API key in its header; JSON asked for."""
    headers = {"Accept": "application/json", "X-Api-Key": creds["api_key"]}
    return Request("GET", f"{base_url}/api/balance", headers)


def read_answer(response: Response) -> Balance:
    """Read ``amount`` and ``currency``; a bare integer is an error code."""
    if response.status != 429 and (match := _CODE.fullmatch(response.body)):
        code = int(match[1])
        if code == 900:
            raise AuthenticationError("invalid API key (code 900)")
        if code == 902:
            msg = "the key lacks the balance scope (code 902)"
            raise AccessDeniedError(msg, field="api_key")
        if code == 903:
            raise IpNotAllowedError(
                "the IP address is not on the allow-list (code 903)"
            )
        raise http_error(response.status, code)  # never a balance
    data, status = json_answer(response), response.status
    if 200 <= status < 300:
        amount = parse_amount(data.get("amount"), "amount")
        return Balance(amount, parse_currency(data.get("currency")))
    raise http_error(status, data.get("code"), data.get("message"))


SPEC = ProviderSpec(
    key="seven",
    name="seven.io (sms77)",
    short_name="seven",
    sites=(Site("https://gateway.seven.io"),),
    auth_methods=(API_KEY_LOGIN,),
    permission='the API key\'s scope "balance"',
    panel_url="https://app.seven.io/developer",
    build_request=build_request,
    read_answer=read_answer,
)
