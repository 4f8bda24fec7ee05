"""The ingest body's fast decoder gives the canonical model's answer for every body.

`decode_points` takes RFC 3339 stamps through `datetime.fromisoformat` instead of pydantic; these
tests hold it to `MeasurementBatch` (a list of domain `Measurement`s): the same points for a body
both accept, the same errors for a body the canonical model refuses, and every stamp in `UTC`.
The edges where the two parsers differ are explicit examples (every offset and every time-of-day
field, exhaustively); generated bodies search further (profiles: tests/unit/conftest.py).
"""

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from assetwatch.api.ingest_body import RFC3339, decode_points
from assetwatch.api.schemas import MeasurementBatch
from assetwatch.domain import Points

canonical = TypeAdapter(MeasurementBatch)


def outcome(decode: Any, body: bytes) -> tuple[str, Any]:
    try:
        points = decode(body)
    except ValidationError as error:
        # repr: a NaN among the inputs is equal to itself only as text
        return "refused", repr(error.errors(include_url=False, include_context=False))
    assert all(ts.tzinfo is UTC for ts in points.stamps)
    return "accepted", points


def canonical_points(body: bytes) -> Points:
    return Points.of(canonical.validate_json(body).points)


def body_of(*stamps: Any, value: Any = 1.5) -> bytes:
    return json.dumps(
        {"points": [{"signal_id": 1, "ts": ts, "value": value} for ts in stamps]}
    ).encode()


def test_a_batch_comes_back_as_columns_in_the_order_sent() -> None:
    body = json.dumps(
        {
            "points": [
                {"signal_id": 7, "ts": "2026-11-22T08:00:10Z", "value": 2},
                {"signal_id": 3, "ts": "2026-11-22T09:00:00+01:00", "value": -0.5},
            ]
        }
    ).encode()
    points = decode_points(body)
    assert points == Points(
        [7, 3],
        [datetime(2026, 11, 22, 8, 0, 10, tzinfo=UTC), datetime(2026, 11, 22, 8, tzinfo=UTC)],
        [2.0, -0.5],
    )
    assert all(ts.tzinfo is UTC for ts in points.stamps)


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-11-22T08:00:00Z",
        "2026-11-22 08:00:00.25Z",
        "2026-11-22T09:30:00.123456+01:30",
        "2026-11-22T03:00:00-05:00",
        "2026-11-22T08:00:00-00:00",  # RFC 3339's "offset unknown": the instant is the same
        "2026-11-22T08:00:00+00:00",
        "2026-11-22T08:00:00+23:59",  # the widest offsets
        "2026-11-22T08:00:00-23:59",
        "2026-11-22T00:00:00Z",
        "2026-11-22T23:59:59.999999Z",
        "2026-11-22t08:00:00z",  # lower case: pydantic takes it, fromisoformat does not
        "2026-11-22T08:00:00.1234567Z",  # beyond microseconds
        "2026-11-22T08:00Z",  # no seconds
        "2026-11-22T08:00:00+0100",  # offset without a colon
        "0001-01-01T00:00:00Z",  # the earliest instant
        "9999-12-31T23:59:59.999999Z",
    ],
)
def test_every_spelling_the_canonical_model_accepts_gives_its_instant(stamp: Any) -> None:
    body = body_of(stamp, stamp)
    assert outcome(decode_points, body) == ("accepted", canonical_points(body))


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-11-22T08:00:00",  # no timezone
        "2026-02-30T08:00:00Z",  # no such day, though RFC 3339 in shape
        "2026-11-22T08:00:60Z",  # a leap second
        "2026-11-22T23:59:60Z",
        "2026-11-22T24:00:00Z",
        "2026-11-22T23:60:00Z",
        "2026-11-22T08:00:00+00:60",  # offsets fromisoformat takes (as +01:00, -01:00, …)
        "2026-11-22T08:00:00-00:60",
        "2026-11-22T08:00:00+01:60",
        "2026-11-22T08:00:00+00:61",
        "2026-11-22T08:00:00+00:99",
        "2026-11-22T08:00:00+24:00",
        "2026-11-22T08:00:00-24:00",
        "0001-01-01T00:00:00+01:00",  # year 0 in UTC
        "9999-12-31T23:59:59-01:00",  # year 10000 in UTC
        "20261122T080000Z",  # ISO 8601 basic format: fromisoformat would take it
        "2026-W47-1T08:00:00Z",  # a week date: fromisoformat would take it
        "2026-11-22X08:00:00Z",
        "",
        None,
        1_795_334_400,  # unix seconds: pydantic would read them, the contract says RFC 3339
        1_795_334_400.5,
        "1795334400",
        "0.5",
    ],
)
def test_every_stamp_the_canonical_model_refuses_is_refused_with_its_errors(stamp: Any) -> None:
    body = body_of("2026-11-22T08:00:00Z", stamp)
    expected = outcome(canonical_points, body)
    assert expected[0] == "refused"
    assert outcome(decode_points, body) == expected


# The fields where `fromisoformat` and the canonical model may differ, every value of two digits.
_TWO_DIGITS = [f"{n:02d}" for n in range(100)]


@pytest.mark.parametrize("sign", "+-")
def test_every_offset_gets_the_canonical_answer(sign: str) -> None:
    for hours in _TWO_DIGITS:
        for minutes in _TWO_DIGITS:
            body = body_of(f"2026-11-22T08:00:00{sign}{hours}:{minutes}")
            expected = outcome(canonical_points, body)
            assert expected[0] == ("accepted" if hours < "24" and minutes < "60" else "refused")
            assert outcome(decode_points, body) == expected, body


@pytest.mark.parametrize("field", ["hour", "minute", "second"])
def test_every_time_of_day_field_gets_the_canonical_answer(field: str) -> None:
    for value in _TWO_DIGITS:
        time = {"hour": f"{value}:30:30", "minute": f"12:{value}:30", "second": f"12:30:{value}"}
        body = body_of(f"2026-11-22T{time[field]}Z")
        expected = outcome(canonical_points, body)
        assert expected[0] == (
            "accepted" if value < ("24" if field == "hour" else "60") else "refused"
        )
        assert outcome(decode_points, body) == expected, body


def test_the_fast_pattern_admits_only_the_canonical_ranges() -> None:
    """Not only the same answers: the refused edges never reach `fromisoformat` at all."""
    assert re.fullmatch(RFC3339, "2026-11-22T23:59:59.999999+23:59")
    assert re.fullmatch(RFC3339, "2026-11-22 00:00:00-00:00")
    for stamp in [
        "2026-11-22T08:00:00+00:60",
        "2026-11-22T08:00:00-00:60",
        "2026-11-22T08:00:00+01:60",
        "2026-11-22T08:00:00+00:61",
        "2026-11-22T08:00:00+24:00",
        "2026-11-22T24:00:00Z",
        "2026-11-22T23:60:00Z",
        "2026-11-22T23:59:60Z",
    ]:
        assert not re.fullmatch(RFC3339, stamp), stamp


@pytest.mark.parametrize(
    "point",
    [
        {"signal_id": 0, "ts": "2026-11-22T08:00:00Z", "value": 1},
        {"signal_id": 2**63, "ts": "2026-11-22T08:00:00Z", "value": 1},
        {"signal_id": "x", "ts": "2026-11-22T08:00:00Z", "value": 1},
        {"signal_id": 1, "ts": "2026-11-22T08:00:00Z", "value": "NaN"},
        {"signal_id": 1, "ts": "2026-11-22T08:00:00Z", "value": 1, "unit": "C"},
        {"signal_id": 1, "ts": "2026-11-22T08:00:00Z"},
    ],
)
def test_a_bad_field_is_refused_with_the_canonical_models_errors(point: dict[str, Any]) -> None:
    body = json.dumps({"points": [point]}).encode()
    expected = outcome(canonical_points, body)
    assert expected[0] == "refused"
    assert outcome(decode_points, body) == expected


@pytest.mark.parametrize("body", [b"", b"[]", b"{}", b'{"points": {}}', b'{"points": [], "x": 1}'])
def test_a_body_that_is_no_batch_is_refused_with_the_canonical_models_errors(body: bytes) -> None:
    assert outcome(decode_points, body) == outcome(canonical_points, body)


def _digits(n: int, low: int = 0, high: int | None = None) -> st.SearchStrategy[str]:
    high = 10**n - 1 if high is None else high
    return st.integers(low, high).map(lambda v: str(v).zfill(n))


# Stamps near and past the edges of what either parser takes: out-of-range fields, both
# separators and cases, 0 to 9 fraction digits, offsets with and without a colon, up to ±25 h.
_offsets = st.one_of(
    st.sampled_from(["Z", "z", ""]),
    st.tuples(
        st.sampled_from("+-"), _digits(2, 0, 25), st.sampled_from([":", ""]), _digits(2, 0, 99)
    ).map("".join),
)
_rfc3339ish = st.tuples(
    st.one_of(_digits(4, 0, 2), _digits(4, 1990, 2030), _digits(4, 9998, 9999)),
    _digits(2, 0, 13),
    _digits(2, 0, 32),
    st.sampled_from(["T", " ", "t"]),
    _digits(2, 0, 25),
    _digits(2, 0, 61),
    st.one_of(st.just(""), _digits(2, 0, 61).map(":".__add__)),
    st.one_of(st.just(""), st.integers(1, 9).flatmap(_digits).map(".".__add__)),
    _offsets,
).map(lambda p: f"{p[0]}-{p[1]}-{p[2]}{p[3]}{p[4]}:{p[5]}{p[6]}{p[7]}{p[8]}")
_stamps = st.one_of(
    _rfc3339ish,
    st.integers(-(10**11), 10**11),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=30),
)
_points = st.fixed_dictionaries(
    {
        "signal_id": st.one_of(st.integers(-2, 2**63 + 1), st.just("5")),
        "ts": _stamps,
        "value": st.one_of(st.floats(width=64), st.integers(), st.just("2.5")),
    },
    optional={"extra": st.just(1)},
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_points, max_size=4))
def test_the_fast_decoder_answers_as_the_canonical_model_for_any_body(
    points: list[dict[str, Any]],
) -> None:
    body = json.dumps({"points": points}).encode()  # NaN/Infinity spelled as JSON5 allows
    assert outcome(decode_points, body) == outcome(canonical_points, body)


# The stamps that once slipped through (`fromisoformat` reads +00:60 as +01:00), replayed always.
@example("2026-11-22T08:00:00+00:60")
@example("2026-11-22T08:00:00-00:60")
@example("2026-11-22T08:00:00+01:60")
@example("2026-11-22T08:00:00+00:61")
@example("2026-11-22T08:00:00+24:00")
@settings(max_examples=400, deadline=None)
@given(_rfc3339ish)
def test_any_rfc3339_like_stamp_gets_the_canonical_answer(stamp: str) -> None:
    body = body_of(stamp)
    assert outcome(decode_points, body) == outcome(canonical_points, body)
