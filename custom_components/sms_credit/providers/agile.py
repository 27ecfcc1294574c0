"""Agile Telecom (Italy): the credit in euros; no published request limit.

Errors are HTTP statuses with a JSend body (``message``, ``code``); any on a 4XX.
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

from ._parse import detail, json_answer, parse_amount, parse_code
from .models import (
    API_KEY_LOGIN,
    AuthenticationError,
    Balance,
    IpNotAllowedError,
    ProviderServerError,
    ProviderSpec,
    Request,
    Response,
    Site,
    login,
)


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:
    """Basic authentication, or the API key alone (the name is not sent)."""
    headers = {"Accept": "application/json"}
    if auth_method == "api_key":
        headers["X-Api-Key"] = creds["api_key"]
    else:
        user = creds["username"].strip()
        headers["Authorization"] = aiohttp.encode_basic_auth(user, creds["password"])
    return Request("GET", f"{base_url}/services/sms/credit", headers)


def read_answer(response: Response) -> Balance:
    """Read the credit (a JSON number); JSend codes decide, else the status."""
    data, status = json_answer(response), response.status
    failed = "credit" not in data and data.get("status") in ("error", "fail")
    if 200 <= status < 300 and not failed:
        return Balance(parse_amount(data.get("credit"), "credit", text=False))
    code = parse_code(data.get("code"))
    text = detail(status, code, data.get("message"))
    if code in {1, 11} or (code is None and status == 401):
        raise AuthenticationError(f"invalid credentials ({text})")
    if code == 100 or (code is None and status == 403):
        raise IpNotAllowedError(f"the source IP address is not allowed ({text})")
    raise ProviderServerError(f"provider error ({text})")


SPEC = ProviderSpec(
    key="agile",
    name="Agile Telecom",
    sites=(
        Site("https://secure.agiletelecom.com"),
        Site("https://http-api.agiletelecom.com"),
    ),
    auth_methods=(
        login("password", "username", "password"),
        API_KEY_LOGIN,
    ),
    currency="EUR",
    panel_url="https://secure.agiletelecom.com/",
    build_request=build_request,
    read_answer=read_answer,
)
