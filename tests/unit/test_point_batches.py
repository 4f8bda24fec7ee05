"""A batch of points: which ones are refused as future, and what is written when points repeat."""

from datetime import UTC, datetime, timedelta

from hypothesis import example, given
from hypothesis import strategies as st

from assetwatch.domain import FieldError, Measurement, Points

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)


def batch(*points: tuple[int, int, float]) -> Points:
    """Points from (signal id, seconds after NOW, value)."""
    return Points.of(
        Measurement(signal_id=s, ts=NOW + timedelta(seconds=t), value=v) for s, t, v in points
    )


def test_each_future_point_is_named_by_index_with_the_allowed_skew() -> None:
    points = batch((1, 0, 1.0), (1, 301, 2.0), (2, 300, 3.0), (2, 9_999, 4.0))
    errors = points.future_errors(NOW, timedelta(minutes=5))
    assert errors == [
        FieldError(("points", 1, "ts"), "more than 300 s in the future", "future_timestamp"),
        FieldError(("points", 3, "ts"), "more than 300 s in the future", "future_timestamp"),
    ]


def test_a_batch_within_the_skew_has_no_future_errors() -> None:
    assert batch((1, 300, 1.0), (2, -5, 2.0)).future_errors(NOW, timedelta(minutes=5)) == []


def written(points: Points) -> list[tuple[int, datetime, float]]:
    return list(zip(points.signal_ids, points.stamps, points.values, strict=True))


@given(st.lists(st.tuples(st.integers(1, 3), st.integers(0, 4), st.floats(-1e6, 1e6)), max_size=12))
@example([(1, 0, 1.0), (1, 0, 2.0), (1, 1, 3.0)])  # a repeat, then a later point
@example([(1, 0, 1.0), (1, 2, 2.0), (1, 1, 3.0)])  # in order but for its last point
@example([(1, 0, 1.0), (2, 0, 2.0)])  # already in order: kept as it is
def test_one_point_per_signal_and_time_the_last_sent_winning_in_signal_and_time_order(
    sent: list[tuple[int, int, float]],
) -> None:
    last_sent = {(s, NOW + timedelta(seconds=t)): v for s, t, v in sent}
    expected = [(s, ts, last_sent[s, ts]) for s, ts in sorted(last_sent)]
    assert written(batch(*sent).last_write_wins()) == expected


def test_the_first_point_of_each_signal_asked_for_is_found_in_batch_order() -> None:
    points = batch((3, 0, 1.0), (1, 0, 1.0), (3, 1, 1.0), (2, 0, 1.0), (1, 1, 1.0))
    assert points.first_index_of_each({1, 2}) == [(1, 1), (3, 2)]
