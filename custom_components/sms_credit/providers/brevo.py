"""Brevo (formerly Sendinblue): the SMS credits left, from ``GET /v3/account``.

The API key in the ``api-key`` header. The credits are the ``plan`` entry
whose ``type`` is ``"sms"`` (``credits``: "Remaining credits of the user"),
not money; no such entry: no SMS credits to watch, never a 0. Errors are
``{"code", "message"}``: 401 a rejected key, or (third-party evidence)
"unrecognised IP address" when IP security blocks this address; 403 a key
whose permissions leave out the account ('Access denied for resource
"account"'; unverified: its status, so its words decide too). 100 requests
an hour for the whole account, shared with every other tool using it; a 429
says its wait in ``x-sib-ratelimit-reset`` (seconds).
"""

from __future__ import annotations

from collections.abc import Mapping
import re

from ._parse import http_error, json_answer, parse_amount
from .models import (
    API_KEY_LOGIN,
    AccessDeniedError,
    Balance,
    IpNotAllowedError,
    MalformedResponseError,
    NoBalanceError,
    ProviderSpec,
    RateLimit,
    Request,
    Response,
    Site,
)


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:  # noqa: ARG001 - one way to log in
    """The API key in its own header; JSON asked for."""
    headers = {"Accept": "application/json", "api-key": creds["api_key"].strip()}
    return Request("GET", f"{base_url}/v3/account", headers)


def read_answer(response: Response) -> Balance:
    """Read the one ``sms`` plan's credits; an error's words decide, else its status."""
    data, status = json_answer(response, reset="x-sib-ratelimit-reset"), response.status
    if 200 <= status < 300:
        if not isinstance(plans := data.get("plan"), list):
            raise MalformedResponseError("the plan is missing")
        sms = [p for p in plans if isinstance(p, dict) and p.get("type") == "sms"]
        if not sms:  # never a made-up 0: the account has no SMS credits at all
            raise NoBalanceError("no SMS credits on this account's plan")
        if len(sms) > 1:
            raise MalformedResponseError("more than one SMS plan")
        return Balance(parse_amount(sms[0].get("credits"), "SMS credits"))
    message = data.get("message")
    said = message.casefold() if isinstance(message, str) else ""
    if re.search(r"unrecogni[sz]ed ip address", said):
        raise IpNotAllowedError(f"this IP address is not authorised (HTTP {status})")
    if status == 403 or "access denied for resource" in said:
        msg = f"the API key may not read the account (HTTP {status})"
        raise AccessDeniedError(msg, field="api_key")
    raise http_error(status, data.get("code"), message)


SPEC = ProviderSpec(
    key="brevo",
    name="Brevo (Sendinblue)",
    short_name="Brevo",
    sites=(Site("https://api.brevo.com"),),
    auth_methods=(API_KEY_LOGIN,),
    # 12 of the account's 100 an hour, for every Brevo login together (which
    # keys share an account is unknown); entries due together all go at once.
    rate_limit=RateLimit(max_requests=12, period=3600, max_concurrent=12, shared=True),
    unit="SMS credits",
    # Credits per SMS are unverified (per destination, elsewhere): 50 leaves a
    # few alarm messages.
    default_threshold=50,
    permission='Read permission on the resource "account" (a Restricted key)',
    panel_url="https://app.brevo.com/security/authorised_ips",
    build_request=build_request,
    read_answer=read_answer,
)
