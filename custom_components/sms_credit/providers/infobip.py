"""Infobip: the balance in the account's currency, at its own Base URL.

``GET {base}/account/1/balance`` with ``Authorization: App <API key>``;
``{"balance": 47.79134, "currency": "EUR"}``. Each account has a Base URL of
its own (``https://xxxxx.api.infobip.com``, typed as the server's address);
``https://api.infobip.com`` is the shared one. Errors: ``{"requestError":
{"serviceException": {"messageId", "text"}}}`` (or the newer ``{"errorCode",
"description"}``, or an older ``error`` text): 401 a rejected key, or an IP
address off the key's ``allowedIPs`` (one answer: both are said); 403 a key
without the scope ``account-management:manage`` (whether default keys carry
it is unverified); 429 a wait. Infobip throttles "if usage exceeds expected
levels", with no number: our gentle ceiling applies. ``/total-balance``'s
``allowedMinus`` looks like a credit limit, but is undocumented: not read.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._parse import detail, http_error, json_answer, parse_amount, parse_currency
from .models import (
    API_KEY_LOGIN,
    AccessDeniedError,
    AuthenticationError,
    Balance,
    ProviderSpec,
    Request,
    Response,
    Site,
)

SCOPE = "account-management:manage"


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:  # noqa: ARG001 - one way to log in
    """The API key with its ``App`` scheme, at the account's Base URL."""
    headers = {
        "Accept": "application/json",
        "Authorization": f"App {creds['api_key'].strip()}",
    }
    return Request("GET", f"{base_url}/account/1/balance", headers)


def read_answer(response: Response) -> Balance:
    """Read ``balance`` and ``currency``; errors by status, Infobip's words quoted."""
    data, status = json_answer(response), response.status
    if 200 <= status < 300:
        amount = parse_amount(data.get("balance"), "balance")
        return Balance(amount, parse_currency(data.get("currency")))
    wrapper = data.get("requestError")
    found = wrapper.get("serviceException") if isinstance(wrapper, dict) else None
    exception = found if isinstance(found, dict) else {}
    code = exception.get("messageId") or data.get("errorCode")
    # The older "error" text (deprecated in the spec) as a last resort.
    text = exception.get("text") or data.get("description") or data.get("error")
    said = detail(status, code, text)
    if status == 401:
        msg = f"invalid API key, or an IP address not allowed for it ({said})"
        raise AuthenticationError(msg, ip_maybe_not_allowed=True)
    if status == 403:
        msg = f"the API key lacks the scope {SCOPE} ({said})"
        raise AccessDeniedError(msg, field="api_key")
    raise http_error(status, code, text)


SPEC = ProviderSpec(
    key="infobip",
    name="Infobip",
    sites=(Site("https://api.infobip.com"),),
    own_host="https://xxxxx.api.infobip.com",
    auth_methods=(API_KEY_LOGIN,),
    permission=f'the API key\'s scope "{SCOPE}"',
    panel_url="https://portal.infobip.com/settings/accounts/api-keys",
    build_request=build_request,
    read_answer=read_answer,
)
