"""GatewayAPI: the credit and its currency, by API token.

``GET /rest/me``, the token as the Basic user name, password empty (never
``?token=``, which would reach logs). ``credit``: a JSON number (a string
in a third-party report: both read); ``currency`` ISO 4217. Errors
``{"code", "message", "incident_uuid"}``: 0x0210/0x0211/0x0229 rejected
credentials, 0x0212/0x0213 an IP not allowed, 0x022A a frozen account, 0x0216 no credit,
0x0207 "Permission denied" (the general code table). Documents of 2021
(no EU host in them); no limit is published.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._parse import (
    basic_auth,
    detail,
    http_error,
    json_answer,
    parse_amount,
    parse_currency,
)
from .models import (
    AccessDeniedError,
    AuthenticationError,
    Balance,
    IpNotAllowedError,
    ProviderServerError,
    ProviderSpec,
    Request,
    Response,
    Site,
    key_login,
)


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:  # noqa: ARG001 - one way to log in
    """The API token as the Basic user name, the password empty."""
    headers = basic_auth(creds["api_token"], "")
    return Request("GET", f"{base_url}/rest/me", headers)


def read_answer(response: Response) -> Balance:
    """Read ``credit`` and ``currency``; an error's code decides, else the status."""
    data, status = json_answer(response), response.status
    if 200 <= status < 300:
        credit = parse_amount(data.get("credit"), "credit")
        return Balance(credit, parse_currency(data.get("currency")))
    code = data.get("code")
    code = code.strip().lower() if isinstance(code, str) else None
    text = detail(status, code, data.get("message"))
    if code in {"0x0210", "0x0211", "0x0229"}:
        raise AuthenticationError(f"invalid API token ({text})")
    if code in {"0x0212", "0x0213"}:
        raise IpNotAllowedError(f"the IP address is not allowed ({text})")
    if code in {"0x022a", "0x0216"}:  # frozen, out of credit: not the token
        raise ProviderServerError(f"the account cannot be used now ({text})")
    if code == "0x0207":
        raise AccessDeniedError(f"permission denied ({text})", field="api_token")
    raise http_error(status, code, data.get("message"))


SPEC = ProviderSpec(
    key="gatewayapi",
    name="GatewayAPI",
    sites=(Site("https://gatewayapi.com"),),
    auth_methods=(key_login("api_token", "api_token"),),
    permission='an API token of the account itself (the dashboard\'s "API Keys")',
    panel_url="https://gatewayapi.com/app/settings/api-oauth/",
    build_request=build_request,
    read_answer=read_answer,
)
