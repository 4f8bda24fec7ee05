"""Cursors: every position comes back as it went out, and anything else is one 422."""

from datetime import UTC, datetime

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from assetwatch.domain import FieldError, InvalidInput
from assetwatch.services.pagination import (
    BIGINT_MAX,
    after_id,
    after_instant,
    instant_cursor,
    page_by_id,
)


@given(st.integers(0, BIGINT_MAX))
@example(123_456_789)
@example(0)
def test_every_id_position_round_trips(position: int) -> None:
    assert after_id(str(position)) == position


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)))
def test_every_time_position_round_trips(ts: datetime) -> None:
    instant = ts.replace(tzinfo=UTC)
    assert after_instant(instant_cursor(instant)) == instant


@pytest.mark.parametrize("cursor", ["%%%", "abcde", "eyJhZnRlcl9pZCI6NDJ9", "1 ", "--1"])
def test_an_invalid_cursor_asks_for_next_cursor_as_received(cursor: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        after_id(cursor)
    assert refused.value.detail == (
        "the cursor is not valid: pass back next_cursor exactly as received"
    )
    assert refused.value.errors == [FieldError(("cursor",), "invalid cursor", "cursor")]


def test_a_page_whose_last_row_has_no_id_resumes_from_the_start() -> None:
    page = page_by_id([None, None, None], 2, lambda row: row)
    assert page.items == [None, None]
    assert page.next_cursor == "0"
    assert after_id(page.next_cursor) == 0
