"""Hostile answers: every provider's reader stays linear, amounts stay short.

A balance answer is under 100 bytes; the client refuses more than
``MAX_ANSWER_BYTES`` unread (``test_providers_http``). Up to that size, every
reader must take time in proportion to the answer (no regular expression
that backtracks).
"""

from __future__ import annotations

from collections.abc import Callable
import contextlib
from decimal import Decimal
import time

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.sms_credit.providers import (
    PROVIDERS,
    REGISTRY,
    MalformedResponseError,
    ProviderError,
    Response,
)
from custom_components.sms_credit.providers._parse import (
    MAX_ANSWER_BYTES,
    MAX_DECIMAL_PLACES,
    parse_amount,
)
from tests.providers.helpers import spec_ids

# Far above what linear parsing of one kilobyte costs (a few microseconds),
# far below what the backtracking parsers cost (26 s for 64 KB, i.e. about
# 400 ms per kilobyte). Not a benchmark: a bound that tells linear from not.
SECONDS_PER_KB = 0.005

# Shapes that make a backtracking or scanning parser go quadratic or worse.
PATHOLOGICAL: dict[str, Callable[[int], bytes]] = {
    "digit, spaces, letter": lambda n: b"1" + b" " * n + b"x",
    "digit, spaces, comma": lambda n: b"1" + b" " * n + b", x",
    "spaces and commas": lambda n: b"1" + b" ," * (n // 2) + b"RU",
    "no spaces at all": lambda n: b"1" * n + b" R",
    "repeated open tags": lambda n: b"<balance>" * (n // 9),
    "repeated tags, no close": lambda n: b"<credit><balance>1" * (n // 18),
    "error with no bracket": lambda n: b"ERROR = 1 (" + b"(" * n,
    "error then spaces": lambda n: b"ERROR =" + b" " * n + b"1",
    "csv error": lambda n: b"0" + b" " * n + b",-1x",
    "json strings": lambda n: b'{"balance": "' + b"1" * n + b'"}',
    "json nesting": lambda n: b"[" * n,
    "exponent": lambda n: b"1e" + b"9" * n,
}


def _seconds(key: str, body: bytes) -> float:
    start = time.perf_counter()
    with contextlib.suppress(ProviderError):
        PROVIDERS[key].read_answer(Response(200, {}, body))
    return time.perf_counter() - start


@pytest.mark.parametrize("key", spec_ids())
@pytest.mark.parametrize("shape", sorted(PATHOLOGICAL))
def test_pathological_shapes_parse_in_linear_time(key: str, shape: str) -> None:
    """The largest answer accepted costs at most a few ms per kilobyte."""
    body = PATHOLOGICAL[shape](MAX_ANSWER_BYTES - 32)[:MAX_ANSWER_BYTES]
    _seconds(key, body)  # warm-up (regex compilation, imports)
    best = min(_seconds(key, body) for _ in range(3))
    assert best < SECONDS_PER_KB * len(body) / 1024, f"{shape}: {best:.3f} s"


@settings(max_examples=30, deadline=None)
@given(
    unit=st.binary(min_size=1, max_size=12),
    prefix=st.binary(max_size=12),
    suffix=st.binary(max_size=12),
)
def test_repeated_units_parse_in_linear_time(
    unit: bytes, prefix: bytes, suffix: bytes
) -> None:
    """Any short unit repeated up to the size cap: still linear."""
    count = (MAX_ANSWER_BYTES - len(prefix) - len(suffix)) // len(unit)
    body = prefix + unit * count + suffix
    for key in REGISTRY:
        best = min(_seconds(key, body) for _ in range(2))
        assert best < SECONDS_PER_KB * len(body) / 1024, repr(unit)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0." + "1" * 300, "0.111111"),
        ("123456789012." + "9" * 400, "123456789013.000000"),
        ("1e-999999", "0.000000"),
        ("-1e-999999", "0.000000"),
        ("12.3456785", "12.345678"),
        ("12.50", "12.50"),
    ],
)
def test_amounts_rounded_to_what_a_state_can_hold(value: str, expected: str) -> None:
    """Hundreds of digits or an absurd exponent: rounded, state stays short."""
    amount = parse_amount(value, "balance")
    assert str(amount) == expected


@settings(max_examples=200)
@given(
    st.decimals(allow_nan=False, allow_infinity=False).map(str)
    | st.from_regex(r"\A-?\d{1,14}(\.\d{0,400})?([eE][+-]?\d{1,7})?\Z")
)
def test_any_accepted_amount_fits_a_state(value: str) -> None:
    """Every amount that is accepted prints short, in plain notation."""
    try:
        amount = parse_amount(value, "balance")
    except MalformedResponseError:
        return
    text = str(amount)
    # Sign, 13 digits, the point and the places: far under 255 characters.
    assert len(text) <= 1 + 13 + 1 + MAX_DECIMAL_PLACES
    assert "E" not in text
    assert Decimal(text) == amount
