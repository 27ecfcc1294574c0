"""SMSAPI (smsapi.pl, smsapi.com): the account's points, by OAuth token.

``GET /profile``, ``Authorization: Bearer``. ``points`` (points, not money)
come as a number or a numeric string (the official Go SDK); only a
``payment_type`` "prepaid" has a credit to watch. Errors: ``{"error": <int>,
"message"}``, even on HTTP 2xx: 101/102 a rejected token, 105 an IP off the
IP filter, 110 not allowed (their HTTP statuses unverified); a textual
``error`` follows the status. The token scope "profile" is third-party
evidence; no limit is published.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._parse import detail, http_error, json_answer, parse_amount, parse_code
from .models import (
    AccessDeniedError,
    AuthenticationError,
    Balance,
    IpNotAllowedError,
    MalformedResponseError,
    PostpaidError,
    ProviderServerError,
    ProviderSpec,
    Request,
    Response,
    Site,
    key_login,
)


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:  # noqa: ARG001 - one way to log in
    """The OAuth token as a bearer token."""
    token = creds["oauth_token"].strip()
    headers = {"Accept": "application/json", "Authorization": f"Bearer {token}"}
    return Request("GET", f"{base_url}/profile", headers)


def read_answer(response: Response) -> Balance:
    """Read ``points`` of a prepaid account; a non-zero ``error`` is a refusal."""
    data, status = json_answer(response), response.status
    code = parse_code(data.get("error"))
    if 200 <= status < 300 and (not data.get("error") or code == 0):
        payment = str(data.get("payment_type")).strip().casefold()
        if payment == "postpaid":
            raise PostpaidError("a postpaid account", field="oauth_token")
        if payment != "prepaid":  # what its points would mean is unknown
            raise MalformedResponseError("the payment type is missing or unknown")
        return Balance(parse_amount(data.get("points"), "points"))
    text = detail(status, code, data.get("message"))
    if code in {101, 102}:
        raise AuthenticationError(f"invalid OAuth token ({text})")
    if code == 105:
        raise IpNotAllowedError(f"the IP address is not in the IP filter ({text})")
    if code == 110:
        raise AccessDeniedError(f"not allowed ({text})", field="oauth_token")
    if code is not None:
        raise ProviderServerError(f"provider error ({text})")
    raise http_error(status, data.get("error"), data.get("message"))


_PANEL = "https://ssl.smsapi.pl/react/oauth/manage"  # OAuth tokens (.com: its own)

SPEC = ProviderSpec(
    key="smsapi",
    name="SMSAPI",
    sites=(
        Site("https://api.smsapi.pl", "PL", backups=("https://api2.smsapi.pl",)),
        Site("https://api.smsapi.com", panel=_PANEL.replace(".pl/", ".com/")),
    ),
    auth_methods=(key_login("oauth_token", "oauth_token"),),
    unit="points",
    default_threshold=10,
    permission='the token\'s access to the account profile (its scope "profile")',
    panel_url=_PANEL,
    build_request=build_request,
    read_answer=read_answer,
)
