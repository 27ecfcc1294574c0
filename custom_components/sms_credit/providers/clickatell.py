"""Clickatell: the balance in the account's billing currency, by API key.

``GET /public-client/balance`` with the raw API key as ``Authorization`` (no
scheme) and ``Accept: application/json``; ``{"balance": 1267.92865,
"currency": "ZAR"}``, "in the billing currency set in the account". Errors,
from Clickatell's archived REST status table (whether it applies to this
endpoint is unverified): 401 a wrong key, which "can also be caused by IP
lockdown settings" (one answer: both are said), 429 a wait, 503 a temporary
error. No error body is documented here: the One API's global ``error``
(its ``code`` and ``description``, or text), if any, is only quoted. No
limit is published: our gentle ceiling applies.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._parse import detail, http_error, json_answer, parse_amount, parse_currency
from .models import (
    API_KEY_LOGIN,
    AuthenticationError,
    Balance,
    ProviderSpec,
    Request,
    Response,
    Site,
)


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:  # noqa: ARG001 - one way to log in
    """The API key alone as ``Authorization``; JSON asked for."""
    headers = {"Accept": "application/json", "Authorization": creds["api_key"].strip()}
    return Request("GET", f"{base_url}/public-client/balance", headers)


def read_answer(response: Response) -> Balance:
    """Read ``balance`` and ``currency``; otherwise the HTTP status decides."""
    data, status = json_answer(response), response.status
    if 200 <= status < 300:
        amount = parse_amount(data.get("balance"), "balance")
        return Balance(amount, parse_currency(data.get("currency")))
    # One API's global "error" (unverified here): an object, or its text.
    error = data.get("error")
    code, text = (
        (error.get("code"), error.get("description"))
        if isinstance(error, dict)
        else (None, error)
    )
    if status == 401:
        said = detail(401, code, text)
        msg = f"invalid API key, or an IP address outside its lockdown ({said})"
        raise AuthenticationError(msg, ip_maybe_not_allowed=True)
    raise http_error(status, code, text)


SPEC = ProviderSpec(
    key="clickatell",
    name="Clickatell",
    sites=(Site("https://platform.clickatell.com"),),
    auth_methods=(API_KEY_LOGIN,),
    permission="the API key of one of the account's active API integrations",
    panel_url="https://portal.clickatell.com/",
    build_request=build_request,
    read_answer=read_answer,
)
