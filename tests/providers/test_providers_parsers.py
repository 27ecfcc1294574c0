"""The pure parsers: any input gives a valid Balance or a ProviderError."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
import json
from pathlib import Path

from hypothesis import example, given, settings, strategies as st
import pytest

from custom_components.sms_credit.providers import (
    ISO_4217_CODES,
    LEGACY_CURRENCY_CODES,
    Balance,
    MalformedResponseError,
    ProviderError,
    parse_agile_response,
    parse_retry_after,
    parse_smsc_response,
)
from custom_components.sms_credit.providers._parse import (
    MAX_AMOUNT,
    describe,
    parse_amount,
    parse_code,
    parse_currency,
)
from tests.providers.helpers import FIXTURES

type Parser = Callable[[int, bytes, Mapping[str, str]], Balance]
PARSERS: list[Parser] = [parse_smsc_response, parse_agile_response]

statuses = st.one_of(
    st.sampled_from([200, 401, 403, 429, 500, 503]), st.integers(100, 599)
)
headers = st.dictionaries(
    st.sampled_from(["Retry-After", "retry-after", "Content-Type"]),
    st.text(max_size=40),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["12.50", "-0", "0", "1e999", "NaN", "RUR", "rub", "EUR", "XXX"]),
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=10,
)
smsc_objects = st.fixed_dictionaries(
    {},
    optional={
        "balance": scalars,
        "credit": scalars,
        "currency": scalars,
        "error": scalars,
        "error_code": scalars,
    },
)
agile_objects = st.fixed_dictionaries(
    {},
    optional={
        "credit": scalars,
        "status": st.sampled_from(["error", "fail", "success"]) | scalars,
        "message": scalars,
        "code": scalars,
    },
)
texts = st.one_of(
    st.from_regex(r"\AERROR = -?\d{1,12}( \(.{0,20}\))?\Z"),
    st.from_regex(r"\A0,-\d{1,12}\Z"),
    st.from_regex(r"\A-?\d{1,15}(\.\d{0,8})?([ ,][A-Za-z]{3})?\Z"),
    st.from_regex(r"\A<result><(balance|credit|currency|error|error_code)>.{0,12}<"),
)


def check(parser: Parser, status: int, body: bytes, head: Mapping[str, str]) -> None:
    """The parser returns a valid Balance or raises a ProviderError."""
    outcome: Balance | ProviderError
    try:
        outcome = parser(status, body, head)
    except ProviderError as err:
        outcome = err
    if isinstance(outcome, ProviderError):
        retry_after = getattr(outcome, "retry_after", None)
        assert retry_after is None or 0 <= retry_after <= 86400
        return
    balance = outcome
    assert isinstance(balance.amount, Decimal)
    assert balance.amount.is_finite()
    assert abs(balance.amount) <= MAX_AMOUNT
    assert balance.currency in ISO_4217_CODES
    if balance.credit_limit is not None:
        assert balance.credit_limit.is_finite()


@pytest.mark.parametrize("parser", PARSERS)
@given(status=statuses, body=st.binary(max_size=300), head=headers)
def test_arbitrary_bytes(
    parser: Parser, status: int, body: bytes, head: dict[str, str]
) -> None:
    """Random bytes."""
    check(parser, status, body, head)


@pytest.mark.parametrize("parser", PARSERS)
@given(status=statuses, value=json_values)
def test_arbitrary_json(parser: Parser, status: int, value: object) -> None:
    """Any JSON document (NaN and Infinity included)."""
    check(parser, status, json.dumps(value).encode(), {})


@given(status=statuses, value=smsc_objects)
@example(200, {"balance": "5", "currency": "RUR", "credit": "-0"})
@example(200, {"balance": 1e300, "currency": "EUR"})
def test_smsc_shaped_json(status: int, value: dict[str, object]) -> None:
    """Objects with SMSC's keys and wrong or odd values."""
    check(parse_smsc_response, status, json.dumps(value).encode(), {})


@given(status=statuses, value=agile_objects)
def test_agile_shaped_json(status: int, value: dict[str, object]) -> None:
    """Objects with Agile's keys and wrong or odd values."""
    check(parse_agile_response, status, json.dumps(value).encode(), {})


@given(status=statuses, text=texts)
def test_smsc_text_shapes(status: int, text: str) -> None:
    """The text and XML formats with random numbers and codes."""
    check(parse_smsc_response, status, text.encode(), {})


@settings(max_examples=50)
@given(st.data())
def test_truncated_fixtures(data: st.DataObject) -> None:
    """Every documented body, cut anywhere."""
    path: Path = data.draw(st.sampled_from(sorted(FIXTURES.glob("*/*.*"))))
    body = path.read_bytes()
    cut = data.draw(st.integers(0, len(body)))
    parser = (
        parse_agile_response if path.parent.name == "agile" else parse_smsc_response
    )
    check(parser, data.draw(statuses), body[:cut], {})


@pytest.mark.parametrize("parser", PARSERS)
@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000,
        b'{"credit": ' + b"9" * 5000 + b"}",
        b'{"balance": "' + b"9" * 5000 + b'", "currency": "RUB"}',
        b'{"credit": 1e999999999999, "balance": "1e999999999999"}',
        b'{"credit": 1e-999999999, "balance": "1e-999999", "currency": "RUB"}',
        b'{"error_code": 1e999999999999}',
        b'{"code": 1e999999999999, "status": "error"}',
    ],
)
def test_hostile_bodies(parser: Parser, body: bytes) -> None:
    """Deep nesting, huge digit strings and exponents stay ProviderErrors."""
    check(parser, 200, body, {})
    check(parser, 500, body, {})


@given(st.one_of(st.none(), st.text(max_size=60)))
def test_retry_after_any_text(value: str | None) -> None:
    """Any ``Retry-After`` gives a wait between 0 and a day."""
    assert 0 <= parse_retry_after(value) <= 86400


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0", 0.0),
        (" 120 ", 120.0),
        ("99999999", 86400.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
        ("Thu, 01 Jan 2099 00:00:00 GMT", 86400.0),
        ("Mon, 01 Jan 2029 00:01:00 -0000", 60.0),
        ("Mon, 01 Jan 2029 00:01:00", 60.0),
        ("٣٠", 60.0),
        ("", 60.0),
        (None, 60.0),
    ],
)
def test_retry_after_values(value: str | None, expected: float) -> None:
    """Both forms of ``Retry-After``, clamped."""
    now = datetime(2029, 1, 1, tzinfo=UTC)
    assert parse_retry_after(value, now=now) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.50", Decimal("12.50")),
        (" -3 ", Decimal(-3)),
        ("-0.00", Decimal("0.00")),
        (".5", Decimal("0.5")),
        (Decimal("-0"), Decimal(0)),
        ("1e3", Decimal(1000)),
        ("1000000000000", Decimal(10**12)),
    ],
)
def test_parse_amount(value: object, expected: Decimal) -> None:
    """Accepted amounts, kept exact; negative zero loses its sign."""
    amount = parse_amount(value, "balance")
    assert amount == expected
    assert str(amount) == str(expected)


@pytest.mark.parametrize(
    "value",
    [
        "NaN",
        "Infinity",
        "1_000",
        "١٢",
        "1,5",
        "",
        None,
        True,
        1.5,
        12,
        "1000000000000.01",
        Decimal("sNaN"),
        Decimal("-Infinity"),
        "1e1000000",
    ],
)
def test_parse_amount_rejects(value: object) -> None:
    """Non-numbers, non-finite and huge values are malformed."""
    with pytest.raises(MalformedResponseError):
        parse_amount(value, "balance")


def test_currencies() -> None:
    """Legacy labels map to current codes; the set is ISO-shaped."""
    assert parse_currency(" rur ") == "RUB"
    assert parse_currency("BYR") == "BYN"
    assert parse_currency("kzt") == "KZT"
    assert all(code in ISO_4217_CODES for code in LEGACY_CURRENCY_CODES.values())
    assert not set(LEGACY_CURRENCY_CODES) & ISO_4217_CODES
    assert all(len(code) == 3 and code.isupper() for code in ISO_4217_CODES)
    assert {"EUR", "USD", "RUB", "KZT", "UAH", "TJS", "BYN"} <= ISO_4217_CODES
    assert not {"XXX", "XTS", "RUR", "XAU"} & ISO_4217_CODES
    for bad in ("", "  ", None, 5, "EURO", "ß"):
        with pytest.raises(MalformedResponseError):
            parse_currency(bad)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("9", 9),
        (" -2 ", -2),
        (Decimal(100), 100),
        (Decimal("1.0"), 1),
        (Decimal("1.5"), None),
        (Decimal("NaN"), None),
        (Decimal("1e10"), None),
        ("1234567890", None),
        (True, None),
        (None, None),
        ("x", None),
    ],
)
def test_parse_code(value: object, expected: int | None) -> None:
    """Error codes as numbers or text; anything else is no code."""
    assert parse_code(value) == expected


def test_describe() -> None:
    """Provider messages are made printable, single-spaced and short."""
    assert describe("a\x00b\n\tc  d") == "a b c d"
    assert describe(5) == ""
    assert len(describe("x" * 500)) == 120
