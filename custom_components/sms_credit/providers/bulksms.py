"""BulkSMS: the account's credits, from ``GET /v1/profile``.

Basic auth with the username and password, or with an API token's id and
secret (BulkSMS recommends a token). ``credits.balance`` is a JSON number of
credits, not money. ``credits.limit`` is not shown: only third-party text
calls it a credit limit. Errors are ``{type, title, status, detail}``: 401
rejected credentials, 403 forbidden (the documented body: "Insufficient
Credits", which is no permission problem), 429 a wait. No IP allow-list or
limit is documented.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._parse import basic_auth, detail, http_error, json_answer, parse_amount
from .models import (
    Balance,
    MalformedResponseError,
    ProviderServerError,
    ProviderSpec,
    Request,
    Response,
    Site,
    login,
)


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:
    """Basic authentication: username and password, or token id and secret."""
    if auth_method == "api_token":
        headers = basic_auth(creds["token_id"], creds["token_secret"])
    else:
        headers = basic_auth(creds["username"], creds["password"])
    return Request("GET", f"{base_url}/v1/profile", headers)


def read_answer(response: Response) -> Balance:
    """Read ``credits.balance``; an error's title and detail are quoted."""
    data, status = json_answer(response), response.status
    if 200 <= status < 300:
        account = data.get("credits")
        if not isinstance(account, dict):
            raise MalformedResponseError("the credits are missing")
        balance = account.get("balance")
        return Balance(parse_amount(balance, "credit balance", text=False))
    title, kind = data.get("title"), data.get("type")
    if isinstance(kind, str) and kind.endswith("insufficient-credits"):
        text = detail(status, title, data.get("detail"))
        raise ProviderServerError(f"insufficient credits ({text})")
    raise http_error(status, title, data.get("detail"))


SPEC = ProviderSpec(
    key="bulksms",
    name="BulkSMS",
    sites=(Site("https://api.bulksms.com"),),
    auth_methods=(
        login("password", "username", "password"),
        login("api_token", "token_id", "token_secret"),
    ),
    unit="credits",
    default_threshold=20,
    permission="the account's own username and password, or one of its API tokens",
    panel_url="https://www.bulksms.com/account/",
    build_request=build_request,
    read_answer=read_answer,
)
