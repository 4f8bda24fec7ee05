"""Rollup columns (`RollupColumns`) encoded as the JSON array of bucket objects a client reads,
byte for byte what orjson writes for the same `Rollup`s, without building them: orjson encodes
each column as a whole (numbers, timestamps) and a compiled loop zips the columns into objects."""

from collections.abc import Sequence
from dataclasses import fields
from typing import Any, cast

import numpy as np
import orjson

from assetwatch.domain import Rollup, RollupColumns
from assetwatch.kernels import json_rows

_KEYS = [field.name for field in fields(Rollup)]
_NUMBERS = orjson.OPT_SERIALIZE_NUMPY
_STAMPS = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z
# orjson refuses a numpy timestamp past 9999-12-30 22:00 UTC; starts from this day on are
# encoded from datetimes instead (the same text, built one at a time).
_LAST_NUMPY_START = int(np.datetime64("9999-12-30", "s").astype(np.int64))


def encode(series: Sequence[RollupColumns]) -> list[bytes]:
    """Each series' buckets as a JSON array of objects, keys in `Rollup`'s order, instants
    `…Z`: all the series' columns encoded at once, then cut apart."""
    if not series:
        return []
    columns = [
        np.concatenate([getattr(one, name) for one in series])
        for name in ("starts", "counts", "mins", "maxes", "avgs")
    ]
    starts = columns[0]
    if starts.size and int(starts.max()) >= _LAST_NUMPY_START:
        instants = [rollup.bucket_start for one in series for rollup in one]
        stamps = orjson.dumps(instants, option=orjson.OPT_UTC_Z)
    else:
        stamps = orjson.dumps(starts.astype("datetime64[s]"), option=_STAMPS)
    numbers = [orjson.dumps(column, option=_NUMBERS) for column in columns[1:]]
    return json_rows.zip_columns(_KEYS, [stamps, *numbers], [len(one) for one in series])


def items(series: Sequence[Sequence[Rollup]]) -> list[Any]:
    """What to hand orjson for each series' `items`: rollup columns as pre-encoded fragments
    (encoded together), anything else (a plain list of `Rollup`) as it is."""
    if all(isinstance(one, RollupColumns) for one in series):
        columns = cast(list[RollupColumns], series)
        return [orjson.Fragment(array) for array in encode(columns)]
    return list(series)
