"""Compact storage formats for telemetry. Pure: numpy, zlib and the stdlib, nothing else."""

from assetwatch.encoding.segment import (
    FORMAT_VERSION,
    SegmentInfo,
    ValueMode,
    decode,
    describe,
    encode,
    merge,
)

__all__ = ["FORMAT_VERSION", "SegmentInfo", "ValueMode", "decode", "describe", "encode", "merge"]
