"""Pure readers of untrusted answers: a checked value or a ``ProviderError``."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from email.utils import parsedate_to_datetime
import json
import re

import aiohttp

from .models import (
    MAX_RETRY_AFTER,
    AccessDeniedError,
    AuthenticationError,
    MalformedResponseError,
    ProviderError,
    ProviderServerError,
    RateLimitedError,
    Response,
)

MAX_AMOUNT = Decimal(10**12)  # beyond it, in either direction: garbage
MAX_DECIMAL_PLACES = 6  # no currency has more than 4; amounts print short
MAX_ANSWER_BYTES = 64 * 1024  # refused unread beyond it (a balance is ~100 bytes)
DEFAULT_RETRY_AFTER = 60.0  # after a rate-limit answer that does not say

# The currencies in circulation (no fund codes, metals, test or "no currency"
# codes), and a few withdrawn recently that an old account may still report.
ISO_4217_CODES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB
    BRL BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK
    DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HRK
    HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD
    KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN
    MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD
    RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VED VES VND VUV WST XAF
    XCD XCG XOF XPF YER ZAR ZMW ZWG ZWL
    """.split()  # noqa: SIM905
)
_MINOR_UNITS: dict[str, int] = {  # ISO 4217's exponents that are not 2
    code: places
    for places, codes in (
        (0, "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF"),
        (3, "BHD IQD JOD KWD LYD OMR TND"),
    )
    for code in codes.split()
}

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,6})?", re.ASCII)
_CODE = re.compile(r"[+-]?\d{1,9}", re.ASCII)
_SECONDS = re.compile(r"\d{1,12}", re.ASCII)
_QUANTUM = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)
_INVALID = object()


def minor_unit(code: str) -> int:
    """Decimal places of a currency's minor unit (JPY 0, EUR 2, KWD 3)."""
    return _MINOR_UNITS.get(code, 2)


def basic_auth(user: str, password: str) -> dict[str, str]:
    """Headers of a JSON request with HTTP Basic authentication."""
    authorization = aiohttp.encode_basic_auth(user.strip(), password)
    return {"Accept": "application/json", "Authorization": authorization}


def json_object(body: bytes | str) -> dict[str, object]:
    """Decode a JSON object, numbers kept exact (as ``Decimal``)."""
    data: object = _INVALID  # the decoder's error may echo a secret: no context
    with suppress(ValueError, ArithmeticError, RecursionError):
        data = json.loads(
            body,
            parse_float=Decimal,
            parse_int=Decimal,
            parse_constant=Decimal,  # NaN, Infinity: no amount accepts them
        )
    if data is _INVALID:
        raise MalformedResponseError("the response is not valid JSON")
    if not isinstance(data, dict):
        raise MalformedResponseError("the response is not a JSON object")
    return data


def json_answer(response: Response, reset: str = "Retry-After") -> dict[str, object]:
    """The JSON object of a provider that errs with HTTP statuses (else ``{}``).

    A 429 is a wait: as long as ``Retry-After`` says, else the provider's
    own ``reset`` header (seconds), else a minute.
    """
    if response.status == 429:
        wait = header(response.headers, "Retry-After")
        wait = wait or header(response.headers, reset)
        raise RateLimitedError(
            "rate limited (HTTP 429)", retry_after=parse_retry_after(wait)
        )
    if 200 <= response.status < 300:
        return json_object(response.body)
    with suppress(MalformedResponseError):
        return json_object(response.body)
    return {}


def parse_amount(value: object, name: str, *, text: bool = True) -> Decimal:
    """Check an amount given as a JSON number, or (``text``) a decimal string."""
    if text and isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        value = Decimal(value.strip())
    if not isinstance(value, Decimal):
        raise MalformedResponseError(f"the {name} is missing or not a number")
    if not value.is_finite() or value.copy_abs() > MAX_AMOUNT:
        raise MalformedResponseError(f"the {name} is out of range")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        value = value.quantize(Decimal(1))  # 1E+3 -> 1000
    elif isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        value = value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
    return value.copy_abs() if value.is_zero() else value  # no "-0"


def parse_currency(value: object) -> str:
    """Return the ISO 4217 code for a provider's currency label."""
    if not isinstance(value, str) or not value.strip():
        raise MalformedResponseError("the currency is missing")
    code = value.strip().upper()
    # Outdated labels (SMSC's pre-1998 rouble, the pre-2016 Belarusian one) of
    # the same money: labels, not redenominations.
    code = {"RUR": "RUB", "BYR": "BYN"}.get(code, code)
    if code not in ISO_4217_CODES:
        # Name it only if it looks like a code: never echo the provider's text.
        shown = code if len(code) == 3 and code.isascii() and code.isalpha() else "?"
        raise MalformedResponseError(f"unknown currency code {shown}")
    return code


def parse_code(value: object) -> int | None:
    """Return an integer error code given as a number or text, else ``None``."""
    if isinstance(value, str) and _CODE.fullmatch(value.strip()):
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value.copy_abs() < 10**9:
        return int(value) if value == value.to_integral_value() else None
    return None


def detail(status: int, code: object = None, message: object = None) -> str:
    """``HTTP 401, code 20003: Authenticate``: the provider's words, short."""
    shown = "" if code is None else describe(str(code), 20)
    said = describe(message)
    return (
        f"HTTP {status}"
        + (f", code {shown}" if shown else "")
        + (f": {said}" if said else "")
    )


def http_error(
    status: int, code: object = None, message: object = None
) -> ProviderError:
    """The error of an answer that is not a balance, by its HTTP status.

    401 rejected credentials, 403 credentials that may not read the
    balance, anything else the provider's; ``code`` and ``message`` (the
    provider's own) are quoted, short and printable.
    """
    text = detail(status, code, message)
    if status == 401:
        return AuthenticationError(f"invalid credentials ({text})")
    if status == 403:
        return AccessDeniedError(f"the credentials may not read the balance ({text})")
    return ProviderServerError(f"provider error ({text})")


def describe(value: object, limit: int = 120) -> str:
    """Return a short, printable copy of a provider's message ("" if none)."""
    if not isinstance(value, str):
        return ""
    text = "".join(char if char.isprintable() else " " for char in value)
    return " ".join(text.split())[:limit]


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Look a header up by name, ignoring case."""
    wanted = name.casefold()
    return next((v for k, v in headers.items() if k.casefold() == wanted), None)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float:
    """Seconds a ``Retry-After`` (seconds or HTTP-date) asks: 0 to a day, else 60."""
    text = (value or "").strip()
    if _SECONDS.fullmatch(text):
        seconds = float(text)
    else:
        try:
            when = parsedate_to_datetime(text)
        except TypeError, ValueError, IndexError, OverflowError:
            return DEFAULT_RETRY_AFTER
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
