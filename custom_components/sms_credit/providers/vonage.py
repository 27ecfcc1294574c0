"""Vonage (formerly Nexmo): the balance, in euros, from ``/account/get-balance``.

Basic auth with the API key and API secret (the API also takes them in the
query, where they would reach logs: not used). ``value`` is a JSON number
"in EUR". Errors: ``{"error-code", "error-code-label"}``, or RFC 7807
(``title``, ``detail``) as Vonage's other APIs answer. No limit is published.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._parse import basic_auth, http_error, json_answer, parse_amount
from .models import (
    AuthMethod,
    Balance,
    CredentialField,
    ProviderSpec,
    Request,
    Response,
    Site,
)


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:  # noqa: ARG001 - one way to log in
    """Basic authentication: API key and API secret."""
    headers = basic_auth(creds["api_key"], creds["api_secret"])
    return Request("GET", f"{base_url}/account/get-balance", headers)


def read_answer(response: Response) -> Balance:
    """Read ``value``; an error's code and label (or title and detail) are quoted."""
    data, status = json_answer(response), response.status
    if 200 <= status < 300:
        return Balance(parse_amount(data.get("value"), "value"))
    code = data.get("error-code") or data.get("title")
    raise http_error(status, code, data.get("error-code-label") or data.get("detail"))


SPEC = ProviderSpec(
    key="vonage",
    name="Vonage (Nexmo)",
    short_name="Vonage",
    sites=(Site("https://rest.nexmo.com"),),
    auth_methods=(
        AuthMethod(
            "api_key",
            (
                CredentialField("api_key", label="account_key"),
                CredentialField("api_secret", secret=True),
            ),
            account_field="api_key",
        ),
    ),
    currency="EUR",
    permission="the API key and secret of the account itself",
    panel_url="https://dashboard.nexmo.com/settings",
    build_request=build_request,
    read_answer=read_answer,
)
