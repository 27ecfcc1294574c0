"""46elks (Sweden): the balance from ``GET /a1/me``, in 1/10 000 of the currency.

Basic auth with the API username and API password. ``balance`` is an
integer; the scale comes from third-party code (46elks' pages do not say
it), so anything but a whole number is refused rather than guessed. No
errors or limits are documented: the HTTP status decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ._parse import (
    basic_auth,
    http_error,
    json_answer,
    minor_unit,
    parse_amount,
    parse_currency,
)
from .models import (
    Balance,
    MalformedResponseError,
    ProviderSpec,
    Request,
    Response,
    Site,
    login,
)


def build_request(base_url: str, auth_method: str, creds: Mapping[str, str]) -> Request:  # noqa: ARG001 - one way to log in
    """Basic authentication: API username and API password."""
    headers = basic_auth(creds["api_username"], creds["api_password"])
    return Request("GET", f"{base_url}/a1/me", headers)


def read_answer(response: Response) -> Balance:
    """Read ``balance`` (a whole number of 1/10 000) and ``currency``."""
    data, status = json_answer(response), response.status
    if 200 <= status < 300:
        units = parse_amount(data.get("balance"), "balance", text=False)
        if units != units.to_integral_value():
            raise MalformedResponseError("the balance is not a whole number")
        currency = parse_currency(data.get("currency"))
        amount = units.scaleb(-4)  # 9670500 -> 967.0500, shown as 967.05
        short = amount.quantize(Decimal(1).scaleb(-minor_unit(currency)))
        return Balance(short if short == amount else amount, currency)
    raise http_error(status, None, data.get("message"))


SPEC = ProviderSpec(
    key="elks46",
    name="46elks",
    sites=(Site("https://api.46elks.com"),),
    auth_methods=(login("password", "api_username", "api_password"),),
    permission="the API username and password of the account itself",
    panel_url="https://46elks.com/account",
    build_request=build_request,
    read_answer=read_answer,
)
