"""The rules of time ranges and rollup buckets, and the problem a client reads for each."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from assetwatch.domain import FieldError, InvalidInput
from assetwatch.domain.readings import (
    BUCKET_ORIGIN,
    MAX_BUCKETS,
    check_bucket_count,
    check_range,
    parse_bucket,
)

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)  # on the hour
HOUR = timedelta(hours=1)


def offenders(error: InvalidInput) -> list[tuple[object, str, str]]:
    """Each entry of the problem's `errors` as a client reads it: the field it names, msg, type."""
    return [(e.field[-1], e.msg, e.type) for e in error.errors]


def test_an_invalid_bucket_says_how_to_write_one() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_bucket("1w")
    assert refused.value.detail == (
        "bucket must be a number followed by s, m, h or d (e.g. 1m, 1h, 1d)"
    )
    assert offenders(refused.value) == [("bucket", "invalid bucket", "bucket")]


@pytest.mark.parametrize(
    ("text", "width"),
    [
        (" 30s ", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("999999d", timedelta(days=999_999)),
    ],
)
def test_a_bucket_is_a_whole_number_of_one_unit(text: str, width: timedelta) -> None:
    assert parse_bucket(text) == width


def test_a_range_must_start_before_it_ends() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_range(T0, T0)
    assert refused.value.detail == "start must be before end"
    assert offenders(refused.value) == [("start", "start must be before end", "range")]
    check_range(T0, T0 + timedelta(microseconds=1))


def test_too_many_buckets_says_how_many_and_the_limit() -> None:
    with pytest.raises(InvalidInput) as refused:
        check_bucket_count(T0, T0 + timedelta(minutes=10_001), timedelta(minutes=1))
    assert refused.value.detail == (
        "10001 buckets requested, at most 10000: widen the bucket or the range"
    )
    assert offenders(refused.value) == [("bucket", "too many buckets", "bucket_count")]


def test_buckets_are_counted_from_the_aligned_bucket_the_start_falls_in() -> None:
    """Half an hour past the hour, 10,000 hours span 10,001 hourly buckets: one too many."""
    start = T0 + HOUR / 2
    assert check_bucket_count(start, start + 9_999 * HOUR, HOUR) == 10_000
    with pytest.raises(InvalidInput) as refused:
        check_bucket_count(start, start + 10_000 * HOUR, HOUR)
    assert refused.value.detail.startswith("10001 buckets requested")


def test_a_first_bucket_before_year_one_is_refused_not_a_crash() -> None:
    start = datetime(1, 1, 1, tzinfo=UTC)  # a Monday: weekly buckets from the origin start earlier
    with pytest.raises(InvalidInput) as refused:
        check_bucket_count(start, start + HOUR, timedelta(days=5))
    assert refused.value.detail == (
        "the first bucket would start before year 1: narrow the bucket or move the range"
    )
    assert offenders(refused.value) == [("bucket", "bucket out of range", "bucket_range")]


def test_query_parameter_problems_name_the_parameter() -> None:
    """The api layer puts them in the query string (`["query", field]`)."""
    problems: list[FieldError] = []
    for refused in (
        lambda: parse_bucket("1w"),
        lambda: check_range(T0, T0),
        lambda: check_bucket_count(T0, T0 + 20_000 * HOUR, HOUR),
        lambda: check_bucket_count(datetime(1, 1, 1, tzinfo=UTC), T0, timedelta(days=5)),
    ):
        with pytest.raises(InvalidInput) as caught:
            refused()
        problems += caught.value.errors
    assert [e.field for e in problems] == [("bucket",), ("start",), ("bucket",), ("bucket",)]


@given(
    start=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
    span=st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=400)),
    bucket=st.sampled_from([timedelta(seconds=30), timedelta(minutes=7), HOUR, timedelta(days=1)]),
)
@example(start=datetime(2026, 3, 2, 8, 30), span=10_000 * HOUR, bucket=HOUR)
def test_the_count_is_that_of_the_aligned_buckets_the_range_touches(
    start: datetime, span: timedelta, bucket: timedelta
) -> None:
    start = start.replace(tzinfo=UTC)
    end = start + span
    micro = timedelta(microseconds=1)
    width = bucket // micro
    first = BUCKET_ORIGIN + (((start - BUCKET_ORIGIN) // micro) // width) * bucket
    touched = -(-((end - first) // micro) // width)  # whole buckets, rounded up
    assert first <= start < first + bucket
    if touched > MAX_BUCKETS:
        with pytest.raises(InvalidInput):
            check_bucket_count(start, end, bucket)
    else:
        assert check_bucket_count(start, end, bucket) == touched
