"""The pure readers: any answer gives a valid Balance or a ProviderError."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
import json
from pathlib import Path

from hypothesis import example, given, settings, strategies as st
import pytest

from custom_components.sms_credit.providers import (
    PROVIDERS,
    REGISTRY,
    Balance,
    MalformedResponseError,
    ProviderError,
    parse_retry_after,
)
from custom_components.sms_credit.providers._parse import (
    ISO_4217_CODES,
    MAX_AMOUNT,
    describe,
    parse_amount,
    parse_code,
    parse_currency,
)
from tests.providers.helpers import FIXTURES, read, spec_ids

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


def check(key: str, status: int, body: bytes, head: Mapping[str, str]) -> None:
    """The reader returns a valid Balance or raises a ProviderError."""
    spec = PROVIDERS[key]
    outcome: Balance | ProviderError
    try:
        outcome = read(spec, status, body, head)
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
    if spec.unit is None:
        assert balance.currency in ISO_4217_CODES
    else:
        assert balance.currency == ""
    if balance.credit_limit is not None:
        assert balance.credit_limit.is_finite()


@pytest.mark.parametrize("key", spec_ids())
@given(status=statuses, body=st.binary(max_size=300), head=headers)
def test_arbitrary_bytes(
    key: str, status: int, body: bytes, head: dict[str, str]
) -> None:
    """Random bytes."""
    check(key, status, body, head)


@pytest.mark.parametrize("key", spec_ids())
@given(status=statuses, value=json_values)
def test_arbitrary_json(key: str, status: int, value: object) -> None:
    """Any JSON document (NaN and Infinity included)."""
    check(key, status, json.dumps(value).encode(), {})


@given(status=statuses, value=smsc_objects)
@example(200, {"balance": "5", "currency": "RUR", "credit": "-0"})
@example(200, {"balance": 1e300, "currency": "EUR"})
def test_smsc_shaped_json(status: int, value: dict[str, object]) -> None:
    """Objects with SMSC's keys and wrong or odd values."""
    check("smsc", status, json.dumps(value).encode(), {})


@given(status=statuses, value=agile_objects)
def test_agile_shaped_json(status: int, value: dict[str, object]) -> None:
    """Objects with Agile's keys and wrong or odd values."""
    check("agile", status, json.dumps(value).encode(), {})


def _shaped(*keys: str, **nested: st.SearchStrategy[object]) -> st.SearchStrategy:
    """Objects with some of these keys, each a wrong or odd value (or ``nested``)."""
    optional = dict.fromkeys(keys, scalars) | nested
    return st.fixed_dictionaries({}, optional=optional)


# The keys each of the other providers' answers carry, for its reader.
SHAPES: dict[str, st.SearchStrategy] = {
    "twilio": _shaped("balance", "currency", "code", "message", "status"),
    "clicksend": _shaped(
        "http_code",
        "response_msg",
        response_code=st.sampled_from(["SUCCESS", "UNAUTHORIZED"]) | scalars,
        data=_shaped("balance", _currency=_shaped("currency_name_short")) | scalars,
    ),
    "vonage": _shaped("value", "error-code", "error-code-label", "title", "detail"),
    "seven": _shaped("amount", "currency", "code", "message"),
    "telnyx": _shaped(
        data=_shaped("balance", "currency", "credit_limit") | scalars,
        errors=st.lists(_shaped("code", "title", "detail") | scalars, max_size=2),
    ),
    "elks46": _shaped("balance", "currency", "message"),
    "clickatell": _shaped("balance", "currency"),
    "plivo": _shaped(
        "cash_credits",
        "api_id",
        "error",
        billing_mode=st.sampled_from(["prepaid", "postpaid"]) | scalars,
    ),
    "infobip": _shaped(
        "balance",
        "currency",
        "allowedMinus",
        "errorCode",
        "description",
        requestError=_shaped(serviceException=_shaped("messageId", "text") | scalars)
        | scalars,
    ),
    "textmagic": _shaped(
        "balance", "code", "message", currency=_shaped("id") | scalars
    ),
    "smsapi": _shaped(
        "points",
        "message",
        payment_type=st.sampled_from(["prepaid", "postpaid"]) | scalars,
        error=st.sampled_from([0, 101, 105, 110, "invalid_token"]) | scalars,
    ),
    "gatewayapi": _shaped(
        "credit",
        "currency",
        "message",
        code=st.sampled_from(["0x0213", "0x0229", "0x022A", "0x0207"]) | scalars,
    ),
    "bulksms": _shaped(
        "title",
        "status",
        "detail",
        type=st.sampled_from(["https://x/errors#insufficient-credits"]) | scalars,
        credits=_shaped("balance", "limit") | scalars,
    ),
    "brevo": _shaped(
        "code",
        "message",
        plan=st.lists(
            _shaped(
                "credits",
                "creditsType",
                type=st.sampled_from(["sms", "free"]) | scalars,
            )
            | scalars,
            max_size=3,
        )
        | scalars,
    ),
    "smsto": _shaped("balance", "currency", "status", "code", "message", "success"),
    "mobizon": _shaped(
        "message",
        code=st.sampled_from([0, 8, 9, 13, 14, 30, 999, "0"]) | scalars,
        data=_shaped("balance", "currency") | scalars,
    ),
}


@pytest.mark.parametrize("key", sorted(SHAPES))
@given(status=statuses, data=st.data())
def test_provider_shaped_json(key: str, status: int, data: st.DataObject) -> None:
    """Objects with each provider's keys and wrong or odd values."""
    value = data.draw(SHAPES[key])
    reset = {"x-ratelimit-reset": data.draw(st.text(max_size=12))}
    check(key, status, json.dumps(value).encode(), reset)


@pytest.mark.parametrize("key", sorted(SHAPES))
@given(body=st.from_regex(rb"\A\s*\d{1,6}\s*\Z"), status=statuses)
def test_bare_numbers(key: str, body: bytes, status: int) -> None:
    """A bare number (seven.io's codes; a balance as text) is never a balance."""
    with pytest.raises(ProviderError):
        read(PROVIDERS[key], status, body)


@settings(max_examples=50)
@given(st.data())
def test_truncated_fixtures(data: st.DataObject) -> None:
    """Every documented body of a registered provider, cut anywhere."""
    paths = [p for p in FIXTURES.glob("*/*.*") if p.parent.name in REGISTRY]
    path: Path = data.draw(st.sampled_from(sorted(paths)))
    body = path.read_bytes()
    cut = data.draw(st.integers(0, len(body)))
    check(path.parent.name, data.draw(statuses), body[:cut], {})


@pytest.mark.parametrize("key", spec_ids())
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
def test_hostile_bodies(key: str, body: bytes) -> None:
    """Deep nesting, huge digit strings and exponents stay ProviderErrors."""
    check(key, 200, body, {})
    check(key, 500, body, {})


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
