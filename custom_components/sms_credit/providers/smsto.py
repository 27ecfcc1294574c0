"""SMS.to: the balance and its currency, from ``GET /api/balance``.

The API key as a bearer token (SMS.to also takes it in the query: not
used); JSON asked for and, as SMS.to requires, declared. The answer is
``{"balance", "currency"}``: no vendor page shows it, SMS.to's own Magento
module reads it, and takes a body with a ``status`` or ``code`` key for a
postpaid account (read here the same way, before any balance: a postpaid
figure is not credit). SMS.to's support pages: 401 ``{"success": false,
"message": "Invalid API Key or Token"}``, past 150 requests a second a
429.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._parse import http_error, json_answer, parse_amount, parse_currency
from .models import (
    API_KEY_LOGIN,
    Balance,
    PostpaidError,
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
        "Content-Type": "application/json",  # else 415, SMS.to says
    }
    return Request("GET", f"{base_url}/api/balance", headers)


def read_answer(response: Response) -> Balance:
    """Read ``balance`` and ``currency``; ``status`` or ``code`` is postpaid."""
    data, status = json_answer(response), response.status
    if 200 <= status < 300:
        if "status" in data or "code" in data:
            raise PostpaidError(f"a postpaid account (HTTP {status})")
        amount = parse_amount(data.get("balance"), "balance")
        return Balance(amount, parse_currency(data.get("currency")))
    raise http_error(status, None, data.get("message"))


SPEC = ProviderSpec(
    key="smsto",
    name="SMS.to",
    sites=(Site("https://auth.sms.to"),),
    auth_methods=(API_KEY_LOGIN,),
    permission="an API key of the account (API Clients in the dashboard)",
    panel_url="https://app.sms.to/",
    build_request=build_request,
    read_answer=read_answer,
)
