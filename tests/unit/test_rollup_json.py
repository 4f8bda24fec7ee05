"""Rollup columns as clients read them: `RollupColumns` behaves as the list of `Rollup`s it
holds, and the API's columnar encoder writes byte for byte what orjson writes for that list,
for any instants and values a bucket can hold."""

from datetime import UTC, datetime, timedelta

import numpy as np
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from assetwatch.api import rollup_json
from assetwatch.domain import Rollup, RollupColumns
from assetwatch.kernels import json_rows
from tests.unit.test_segment_codec import SETTINGS

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FIRST = int((datetime(1, 1, 1, tzinfo=UTC) - _EPOCH).total_seconds())
_LAST = int((datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC) - _EPOCH).total_seconds())
# Any float a sum or an average can reach: infinities and NaN too (a sum can overflow).
_VALUES = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)
_COUNTS = st.integers(1, 2**53)
_ROWS = st.tuples(st.integers(_FIRST, _LAST), _COUNTS, _VALUES, _VALUES, _VALUES)
# Near the end of time, where the encoder switches from numpy's timestamps to datetimes.
_LATE_ROWS = st.tuples(st.integers(_LAST - 3 * 86_400, _LAST), _COUNTS, _VALUES, _VALUES, _VALUES)


def _columns(rows: list[tuple[int, int, float, float, float]]) -> RollupColumns:
    starts, counts, mins, maxes, avgs = zip(*rows, strict=True) if rows else ([],) * 5
    return RollupColumns(
        np.array(starts, dtype=np.int64),
        np.array(counts, dtype=np.int64),
        np.array(mins, dtype=np.float64),
        np.array(maxes, dtype=np.float64),
        np.array(avgs, dtype=np.float64),
    )


def _as_orjson_writes(columns: RollupColumns) -> bytes:
    return orjson.dumps(list(columns), option=orjson.OPT_UTC_Z)


@SETTINGS
@given(st.lists(st.lists(st.one_of(_ROWS, _LATE_ROWS), max_size=20), max_size=6))
def test_encoded_series_are_what_orjson_writes_for_their_rollups(
    series: list[list[tuple[int, int, float, float, float]]],
) -> None:
    columns = [_columns(rows) for rows in series]
    assert rollup_json.encode(columns) == [_as_orjson_writes(one) for one in columns]
    content = {"signals": rollup_json.items(columns)}
    want = {"signals": [list(one) for one in columns]}
    assert orjson.dumps(content, option=orjson.OPT_UTC_Z) == orjson.dumps(
        want, option=orjson.OPT_UTC_Z
    )


def test_a_plain_list_of_rollups_is_handed_to_orjson_as_it_is() -> None:
    listed = [Rollup(_EPOCH, 1, 1.0, 1.0, 1.0)]
    assert rollup_json.items([listed, _columns([])]) == [listed, _columns([])]


def test_rollup_columns_read_as_the_rollups_they_hold() -> None:
    columns = _columns([(0, 2, -1.5, 2.0, 0.25), (3_600, 1, 7.0, 7.0, 7.0)])
    first = Rollup(_EPOCH, 2, -1.5, 2.0, 0.25)
    second = Rollup(_EPOCH + timedelta(hours=1), 1, 7.0, 7.0, 7.0)
    assert len(columns) == 2
    assert columns[0] == first
    assert columns[-1] == second
    assert list(columns) == [first, second]
    assert columns == [first, second]
    assert [first, second] == columns
    assert columns[1:] == [second]
    assert columns[1:] == _columns([(3_600, 1, 7.0, 7.0, 7.0)])
    assert columns != [first]
    assert columns != [second, first]
    assert columns != "ab"
    assert _columns([]) == []
    assert not _columns([])
    assert repr(columns[1:]) == f"RollupColumns({[second]!r})"
    with pytest.raises(TypeError):
        hash(columns)
    with pytest.raises(IndexError):
        columns[2]


def test_rollup_columns_refuse_columns_of_different_lengths() -> None:
    one, none = np.zeros(1, dtype=np.int64), np.zeros(0, dtype=np.float64)
    with pytest.raises(ValueError, match="one length"):
        RollupColumns(one, one, none, none, none)


def _kernel_args(columns: list[bytes], rows: int) -> tuple[np.ndarray, ...]:
    joined = np.frombuffer(b"".join(columns), dtype=np.uint8)
    ends = np.cumsum([len(column) for column in columns], dtype=np.int64)
    starts = np.concatenate(([0], ends[:-1])) + 1
    keys = np.frombuffer(b'{"a":,"b":', dtype=np.uint8)
    out = np.zeros(joined.size + rows * (keys.size + 2), dtype=np.uint8)
    return joined, starts, ends - 1, keys, np.array([5, 10]), out, np.zeros(rows, dtype=np.int64)


@pytest.mark.parametrize("function", ["compiled", "python"])
def test_zipped_columns_become_objects_and_a_short_or_long_column_is_refused(
    function: str,
) -> None:
    run = json_rows.kernel if function == "compiled" else json_rows.kernel.py_func
    args = _kernel_args([b"[1,22,333]", b'["x","y","z"]'], 3)
    size = run(*args)
    assert bytes(args[5][:size]) == b'{"a":1,"b":"x"},{"a":22,"b":"y"},{"a":333,"b":"z"}'
    assert args[6].tolist() == [15, 32, 50]
    assert run(*_kernel_args([b"[1,2]", b"[1,2,3]"], 3)) == -1
    assert run(*_kernel_args([b"[1,2,3,4]", b"[1,2,3]"], 3)) == -1


def test_zip_columns_cuts_the_groups_apart_and_refuses_a_wrong_count() -> None:
    got = json_rows.zip_columns(["a", "b"], [b"[1,2,3]", b"[4,5,6]"], [2, 0, 1])
    assert got == [b'[{"a":1,"b":4},{"a":2,"b":5}]', b"[]", b'[{"a":3,"b":6}]']
    assert [orjson.loads(array) for array in got] == [
        [{"a": 1, "b": 4}, {"a": 2, "b": 5}],
        [],
        [{"a": 3, "b": 6}],
    ]
    with pytest.raises(ValueError, match="every column must hold 4 values"):
        json_rows.zip_columns(["a"], [b"[1,2,3]"], [4])
