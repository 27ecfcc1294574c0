"""Pure helpers that turn untrusted provider answers into checked values.

Every function here either returns a checked value or raises a
:class:`~.models.ProviderError` subclass, whatever its input.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from email.utils import parsedate_to_datetime
import json
import re
from typing import NoReturn

from .currencies import ISO_4217_CODES, LEGACY_CURRENCY_CODES
from .models import MAX_RETRY_AFTER, MalformedResponseError

MAX_AMOUNT = Decimal(10**12)
"""Amounts beyond this (in either direction) are taken as garbage."""

MAX_DECIMAL_PLACES = 6
"""Amounts are rounded to this many places (no currency has more than 4).

With :data:`MAX_AMOUNT` this keeps every amount under 22 characters in plain
notation, far inside the 255 characters a Home Assistant state may have.
"""

MAX_ANSWER_BYTES = 64 * 1024
"""Answers longer than this are refused unread (a balance fits in 100 bytes)."""

DEFAULT_RETRY_AFTER = 60.0
"""Seconds to wait after a rate-limit answer that does not say how long."""


_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d{1,6})?", re.ASCII)
_CODE = re.compile(r"[+-]?\d{1,9}", re.ASCII)
_SECONDS = re.compile(r"\d{1,12}", re.ASCII)


_QUANTUM = Decimal(1).scaleb(-MAX_DECIMAL_PLACES)


def check_size(body: bytes) -> None:
    """Refuse, before any parsing, an answer far larger than a real one."""
    if len(body) > MAX_ANSWER_BYTES:
        raise MalformedResponseError("the response is too large")


def _reject_constant(name: str) -> NoReturn:
    raise MalformedResponseError(f"the response holds the non-number {name}")


def load_json(body: bytes | str) -> object:
    """Decode JSON keeping numbers exact (as :class:`~decimal.Decimal`).

    The decoder's own error keeps the whole body (which may echo a secret):
    it is neither cause nor context of the error raised here.
    """
    try:
        return json.loads(
            body,
            parse_float=Decimal,
            parse_int=Decimal,
            parse_constant=_reject_constant,
        )
    except ValueError, ArithmeticError, RecursionError:
        pass
    raise MalformedResponseError("the response is not valid JSON")


def parse_amount(value: object, name: str) -> Decimal:
    """Check a money amount given as a decimal string or a JSON number."""
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        value = Decimal(value.strip())
    if not isinstance(value, Decimal):
        raise MalformedResponseError(f"the {name} is missing or not a number")
    if not value.is_finite() or value.copy_abs() > MAX_AMOUNT:
        raise MalformedResponseError(f"the {name} is out of range")
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        value = value.quantize(Decimal(1))  # 1E+3 -> 1000
    elif isinstance(exponent, int) and exponent < -MAX_DECIMAL_PLACES:
        # Hundreds of digits, or 1E-999999: what a state can show.
        value = value.quantize(_QUANTUM, rounding=ROUND_HALF_EVEN)
    # A negative zero is still zero; show it without its sign.
    return value.copy_abs() if value.is_zero() else value


def parse_currency(value: object) -> str:
    """Return the ISO 4217 code for a provider's currency label."""
    if not isinstance(value, str) or not value.strip():
        raise MalformedResponseError("the currency is missing")
    code = value.strip().upper()
    code = LEGACY_CURRENCY_CODES.get(code, code)
    if code not in ISO_4217_CODES:
        # Name it only if it looks like a code: never echo the provider's text.
        shown = code if len(code) == 3 and code.isascii() and code.isalpha() else "?"
        raise MalformedResponseError(f"unknown currency code {shown}")
    return code


def parse_code(value: object) -> int | None:
    """Return an integer error code given as a number or text, else ``None``."""
    if isinstance(value, str) and _CODE.fullmatch(value.strip()):
        return int(value)
    if (
        isinstance(value, Decimal)
        and value.is_finite()
        and value.copy_abs() < 10**9
        and value == value.to_integral_value()
    ):
        return int(value)
    return None


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
    """Return the seconds a ``Retry-After`` value asks to wait.

    Both forms are understood (delta-seconds and HTTP-date). A missing or
    unreadable value gives :data:`DEFAULT_RETRY_AFTER`; the result is kept
    between 0 and :data:`MAX_RETRY_AFTER`.
    """
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
