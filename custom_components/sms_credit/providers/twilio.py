"""Twilio: the balance of an account (a sub-account has none), per Region.

``GET /2010-04-01/Accounts/{AccountSid}/Balance.json``, Basic auth with the
Account SID and Auth Token, or an API key's SID and secret, valid in one
Region (a choice of the server). No limit is published (Twilio limits
concurrency): our gentle ceiling applies; a 429 (code 20429) is a wait.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._parse import (
    basic_auth,
    http_error,
    json_answer,
    parse_amount,
    parse_code,
    parse_currency,
)
from .models import (
    AccessDeniedError,
    Balance,
    NoBalanceError,
    ProviderSpec,
    Request,
    Response,
    Site,
    login,
)

_SID = r"\w{1,64}"  # "AC" and 32 hex digits: nothing that could leave the path


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:
    """Basic authentication; the Account SID (its pattern checked) in the path."""
    sid = creds["account_sid"].strip()
    headers = (
        basic_auth(sid, creds["auth_token"])
        if auth_method == "auth_token"
        else basic_auth(creds["api_key_sid"], creds["api_key_secret"])
    )
    return Request("GET", f"{base_url}/2010-04-01/Accounts/{sid}/Balance.json", headers)


def read_answer(response: Response) -> Balance:
    """Read ``balance`` and ``currency`` (strings); errors carry Twilio's code."""
    data, status = json_answer(response), response.status
    ok, code = 200 <= status < 300, parse_code(data.get("code"))
    # "Child accounts do not contain balance information": ``balance`` is
    # null (the API's schema), or (unverified) the resource is not found.
    no_balance = ok and "balance" in data and data["balance"] is None
    if no_balance or (status, code) == (404, 20404):
        msg = f"no balance for this account (HTTP {status}); a sub-account?"
        raise NoBalanceError(msg, field="account_sid")
    if ok:
        amount = parse_amount(data.get("balance"), "balance")
        return Balance(amount, parse_currency(data.get("currency")))
    if code == 70051:  # a Restricted key, or a key or account not of this SID
        msg = f"not authorised for this account (HTTP {status}, code 70051)"
        raise AccessDeniedError(msg, field="api_key_sid")  # if a key logged in
    raise http_error(status, code, data.get("message"))


SPEC = ProviderSpec(
    key="twilio",
    name="Twilio",
    sites=(
        Site("https://api.twilio.com", "US"),
        Site("https://api.dublin.ie1.twilio.com", "IE"),
        Site("https://api.sydney.au1.twilio.com", "AU"),
        Site("https://api.tokyo.jp1.twilio.com", "JP"),
    ),
    auth_methods=(
        login("auth_token", "account_sid", "auth_token", pattern=_SID),
        login("api_key", "account_sid", "api_key_sid", "api_key_secret", pattern=_SID),
    ),
    permission="the Auth Token, or a Main API key, of this Account SID",
    panel_url="https://console.twilio.com/",
    build_request=build_request,
    read_answer=read_answer,
)
