"""Opaque cursors: every position comes back as it went out, and anything else is one 422."""

from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from assetwatch.domain import InvalidInput
from assetwatch.services.pagination import (
    BIGINT_MAX,
    AfterId,
    decode_cursor,
    encode_cursor,
    page_by_id,
)
from assetwatch.services.telemetry import AfterTs


@given(st.integers(0, BIGINT_MAX))
@example(123_456_789)  # a 30-character cursor
@example(0)
def test_every_id_position_round_trips(after_id: int) -> None:
    cursor = encode_cursor(AfterId(after_id=after_id))
    assert decode_cursor(cursor, AfterId) == AfterId(after_id=after_id)


@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.booleans(),
)
def test_every_time_position_round_trips(after_ts: datetime, descending: bool) -> None:
    position = AfterTs(after_ts=after_ts.replace(tzinfo=UTC), descending=descending)
    assert decode_cursor(encode_cursor(position), AfterTs) == position


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        "abcde",
        encode_cursor(AfterTs(after_ts=datetime(2026, 3, 2, tzinfo=UTC), descending=False)),
    ],
)
def test_an_invalid_cursor_asks_for_next_cursor_as_received(cursor: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        decode_cursor(cursor, AfterId)
    assert refused.value.detail == (
        "the cursor is not valid: pass back next_cursor exactly as received"
    )
    assert refused.value.errors == [
        {"loc": ["query", "cursor"], "msg": "invalid cursor", "type": "cursor"}
    ]


def test_a_page_whose_last_row_has_no_id_resumes_from_the_start() -> None:
    page = page_by_id([None, None, None], 2, lambda row: row)
    assert page.items == [None, None]
    assert page.next_cursor is not None
    assert decode_cursor(page.next_cursor, AfterId) == AfterId(after_id=0)
