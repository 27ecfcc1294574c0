"""Plivo: the cash credits of a prepaid account, in US dollars.

``GET /v1/Account/{auth_id}/`` (the trailing slash as documented), Basic
auth with the Auth ID and Auth Token. ``cash_credits`` is a decimal string,
"Credits of the account in USD": the currency is declared, not read.
``billing_mode`` is ``prepaid`` or ``postpaid``; a postpaid account has no
prepaid credit to watch, and a mode that is neither (or none) is refused
rather than guessed. Errors are HTTP statuses: 401 rejected credentials,
429 a wait, 500; their JSON bodies (``api_id``, ``error``) are unverified.
No limit is published: our gentle ceiling applies. Unverified: what a
subaccount's Auth ID reads here (anything but the object above is refused).
"""

from __future__ import annotations

from collections.abc import Mapping

from ._parse import basic_auth, http_error, json_answer, parse_amount
from .models import (
    Balance,
    MalformedResponseError,
    PostpaidError,
    ProviderSpec,
    Request,
    Response,
    Site,
    login,
)

# "MA" (or "SA") and 18 more letters and digits: nothing that could leave the path.
_AUTH_ID = r"[A-Za-z0-9]{1,64}"


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:  # noqa: ARG001 - one way to log in
    """Basic authentication; the Auth ID (its pattern checked) in the path."""
    auth_id = creds["auth_id"].strip()
    headers = basic_auth(auth_id, creds["auth_token"])
    return Request("GET", f"{base_url}/v1/Account/{auth_id}/", headers)


def read_answer(response: Response) -> Balance:
    """Read ``cash_credits`` of a ``prepaid`` account; else the HTTP status decides."""
    data, status = json_answer(response), response.status
    if not 200 <= status < 300:
        raise http_error(status, None, data.get("error"))
    mode = data.get("billing_mode")
    if mode == "postpaid":
        msg = "a postpaid account: no prepaid credit to watch"
        raise PostpaidError(msg, field="auth_id")
    if mode != "prepaid":
        raise MalformedResponseError("the billing mode is missing or unknown")
    return Balance(parse_amount(data.get("cash_credits"), "cash credits"))


SPEC = ProviderSpec(
    key="plivo",
    name="Plivo",
    sites=(Site("https://api.plivo.com"),),
    auth_methods=(login("auth_token", "auth_id", "auth_token", pattern=_AUTH_ID),),
    currency="USD",
    permission="the Auth ID and Auth Token of the account itself",
    panel_url="https://console.plivo.com/dashboard/",
    build_request=build_request,
    read_answer=read_answer,
)
