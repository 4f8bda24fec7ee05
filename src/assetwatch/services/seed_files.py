"""The file formats a seed reads, catalogues (JSON) and measurements (CSV), as adapters.

They are kept apart from the seed use case so that a format can change, or another be added,
without touching the steps that check and write what the files say.
"""

import csv
import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assetwatch.domain import FieldError, InvalidInput
from assetwatch.domain.tags import Tags
from assetwatch.domain.types import Description, Name, ShortText

CSV_COLUMNS = ("asset", "signal", "ts", "value")


def bad_files(problems: list[str]) -> InvalidInput:
    """The error for seed files that failed the check: every problem listed, nothing written."""
    listing = "\n".join(f"  {p}" for p in problems)
    return InvalidInput(
        f"problems in the seed files, nothing was written:\n{listing}",
        [FieldError(("file",), p, "seed_file") for p in problems],
    )


def split_files(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """(catalogues, measurement files) by extension; a folder stands for its *.json and *.csv."""
    catalogues: list[Path] = []
    measurements: list[Path] = []
    problems: list[str] = []
    for path in paths:
        members = sorted(path.iterdir()) if path.is_dir() else [path]
        for member in members:
            suffix = member.suffix.casefold()
            if suffix == ".json":
                catalogues.append(member)
            elif suffix == ".csv":
                measurements.append(member)
            elif not path.is_dir():
                problems.append(f"{member}: not a .json catalogue nor a .csv of measurements")
        if path.is_dir() and not any(m.suffix.casefold() in {".json", ".csv"} for m in members):
            problems.append(f"{path}: no .json or .csv files in this folder")
    if problems:
        raise bad_files(problems)
    return catalogues, measurements


# --- the catalogue (JSON) --------------------------------------------------------------------
# A JSON object:
#
#     {"assets": [{"name": "Tractor 1", "kind": "tractor", "description": "…",
#                  "attributes": {"year": 2021}, "tags": ["fleet"],
#                  "signals": [{"name": "engine_temp", "unit": "°C", "description": "…"}]}]}


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def spelt_out(self, fields: Sequence[str]) -> dict[str, Any]:
        """Those of FIELDS the file spells out: only they are applied to an existing row."""
        return {name: getattr(self, name) for name in fields if name in self.model_fields_set}


class SignalSpec(Spec):
    name: Name
    unit: ShortText | None = None
    description: Description = ""


class AssetSpec(Spec):
    name: Name
    kind: ShortText = "generic"
    description: Description = ""
    attributes: dict[str, Any] = Field(default_factory=dict)
    tags: Tags = Field(default_factory=list)
    signals: list[SignalSpec] = Field(default_factory=list)


class Catalogue(Spec):
    assets: list[AssetSpec] = Field(default_factory=list)


def _location(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(top level)"


def read_catalogue(path: Path) -> Catalogue:
    """Parse and validate a catalogue; a problem names the file and where in it."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise bad_files(
            [f"{path}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}"]
        ) from error
    except (OSError, UnicodeDecodeError) as error:
        raise bad_files([f"{path}: cannot read: {error}"]) from error
    try:
        catalogue = Catalogue.model_validate(raw)
    except ValidationError as error:
        raise bad_files(
            [f"{path}: {_location(e['loc'])}: {e['msg']}" for e in error.errors()]
        ) from error
    problems = []
    seen: set[str] = set()
    for index, asset in enumerate(catalogue.assets):
        if asset.name.casefold() in seen:
            problems.append(f"{path}: assets[{index}]: asset {asset.name!r} is listed twice")
        seen.add(asset.name.casefold())
        names: set[str] = set()
        for n, signal in enumerate(asset.signals):
            if signal.name.casefold() in names:
                problems.append(
                    f"{path}: assets[{index}].signals[{n}]: signal {signal.name!r} is listed twice"
                )
            names.add(signal.name.casefold())
    if problems:
        raise bad_files(problems)
    return catalogue


# --- measurements (CSV) ----------------------------------------------------------------------
# A header row naming the columns `asset,signal,ts,value` (any order): `ts` is ISO 8601 with a
# timezone (`2026-11-22T08:00:00Z`); the asset and signal are named, and are looked up
# case-insensitively within the organisation (from the catalogue or already there).


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    asset: str
    signal: str
    ts: datetime
    value: float


class RowError(ValueError):
    """What is wrong on a line. When the rest of the file cannot be read (a bad header, say),
    it is the last item `read_rows` yields."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line

    def where(self, path: Path) -> str:
        """`file:line: message` (no line number when the file could not be opened at all)."""
        return f"{path}:{self.line}: {self}" if self.line else f"{path}: {self}"


def _parse_ts(text: str) -> datetime:
    try:
        ts = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"ts {text!r} is not an ISO 8601 timestamp") from None
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError(f"ts {text!r} has no timezone (write Z or +01:00)")
    return ts


def _parse_value(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"value {text!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"value {text!r} is not a finite number")
    return value


def read_rows(path: Path) -> Iterator[Row | RowError]:
    """Each data row of a measurements file, or the error that line holds (with its number)."""
    try:
        f = path.open(newline="", encoding="utf-8-sig")
    except OSError as error:
        yield RowError(0, f"cannot read: {error.strerror or error}")
        return
    with f:
        reader = csv.reader(f)
        try:
            header = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as error:
            yield RowError(1, f"cannot read the header: {error}")
            return
        columns = [c.strip().casefold() for c in header or []]
        if sorted(columns) != sorted(CSV_COLUMNS):
            found = ",".join(header or []) or "an empty file"
            expected = ",".join(CSV_COLUMNS)
            yield RowError(1, f"expected the header {expected}, found {found}")
            return
        width = len(columns)
        i_asset, i_signal, i_ts, i_value = (columns.index(c) for c in CSV_COLUMNS)
        while True:
            try:
                record = next(reader)
            except StopIteration:
                return
            except (csv.Error, UnicodeDecodeError) as error:
                yield RowError(reader.line_num, str(error))
                return
            line = reader.line_num
            if len(record) != width:
                if all(not c.strip() for c in record):
                    continue  # blank lines are allowed
                yield RowError(line, f"expected {width} fields, found {len(record)}")
                continue
            asset, signal = record[i_asset].strip(), record[i_signal].strip()
            ts, value = record[i_ts].strip(), record[i_value].strip()
            try:
                if not asset or not signal:
                    raise ValueError("asset and signal must not be empty")
                yield Row(line, asset, signal, _parse_ts(ts), _parse_value(value))
            except ValueError as error:
                yield RowError(line, str(error))
