"""Mobizon: the balance and its currency, at the account's national domain.

``GET /service/user/getownbalance?output=json&api=v1&apiKey=…``: the key
in the query, where the documents and the official SDK put it (the client
redacts it from every message; a form body is not documented). Answers:
``{"code", "data", "message"}``; code 0 the balance (a decimal; ISO 4217),
8 a login error (an IP off the key's list too? unverified), 9 no access to
the method, 13 another domain serves the account (``data`` names it), 14 a
blocked or deleted account, 30 too many requests (no wait given: a
minute), 999 a general error.
"""

from __future__ import annotations

from collections.abc import Mapping
import re
from urllib.parse import urlencode

from ._parse import http_error, json_answer, parse_amount, parse_code, parse_currency
from .models import (
    API_KEY_LOGIN,
    AccessDeniedError,
    AuthenticationError,
    Balance,
    MalformedResponseError,
    ProviderServerError,
    ProviderSpec,
    RateLimitedError,
    Request,
    Response,
    Site,
    WrongSiteError,
)

_HOST = re.compile(r"[a-z0-9][-a-z0-9]{0,62}(\.[a-z0-9][-a-z0-9]{0,62}){1,5}")


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:  # noqa: ARG001 - one way to log in
    """The API key, JSON and the API version in the query (as documented)."""
    key = creds["api_key"].strip()
    query = urlencode({"output": "json", "api": "v1", "apiKey": key})
    url = f"{base_url}/service/user/getownbalance?{query}"
    return Request("GET", url, {"Accept": "application/json"})


def read_answer(response: Response) -> Balance:
    """Read the envelope: its ``code`` decides, else the HTTP status."""
    answer, status = json_answer(response), response.status
    code, data = parse_code(answer.get("code")), answer.get("data")
    if code == 0 and isinstance(data, dict):
        amount = parse_amount(data.get("balance"), "balance")
        return Balance(amount, parse_currency(data.get("currency")))
    if code in {None, 0} and 200 <= status < 300:
        raise MalformedResponseError("no code, or no balance, in the answer")
    if code == 8:
        raise AuthenticationError("invalid API key (code 8)", ip_maybe_not_allowed=True)
    if code == 9:
        raise AccessDeniedError("no access to the balance (code 9)", field="api_key")
    if code == 13:  # named only if ``data`` is a plain host name
        host = data.strip().lower() if isinstance(data, str) else ""
        where = host if _HOST.fullmatch(host) else "another of its domains"
        raise WrongSiteError(f"Mobizon serves this account at {where} (code 13)")
    if code == 30:  # no wait given: a minute, as after a 429 that says none
        raise RateLimitedError("rate limited (code 30)", retry_after=60.0)
    if code == 14:
        raise ProviderServerError("the account is blocked or deleted (code 14)")
    # 999 and the rest (or no envelope): never a balance; quoted, by HTTP status.
    raise http_error(status, code, answer.get("message"))


SPEC = ProviderSpec(
    key="mobizon",
    name="Mobizon",
    sites=(
        Site("https://api.mobizon.kz", "KZ", panel="https://mobizon.kz/"),
        Site("https://api.mobizon.ua", "UA", panel="https://mobizon.ua/"),
        Site("https://api.mobizon.gmbh", "DE", panel="https://mobizon.gmbh/"),
        Site("https://api.mobizon.com.br", "BR", panel="https://mobizon.com.br/"),
    ),
    auth_methods=(API_KEY_LOGIN,),
    permission="API access enabled in the account's API settings",
    panel_url="https://help.mobizon.com/help/api-docs/sms-api",
    build_request=build_request,
    read_answer=read_answer,
)
