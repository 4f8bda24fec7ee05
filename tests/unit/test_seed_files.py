"""The seed's file formats: what a catalogue or a measurements file yields, or why not."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from assetwatch.domain import FieldError, InvalidInput
from assetwatch.services.seed_files import (
    Row,
    RowError,
    bad_files,
    read_catalogue,
    read_rows,
    split_files,
)

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)
HEADER = b"asset,signal,ts,value\n"
ROW = b"Pump,pressure,2026-03-02T08:00:00Z,2.5\n"


def items(path: Path) -> list[Row | tuple[int, str]]:
    """What `read_rows` yields, each error as (line, message)."""
    return [(i.line, str(i)) if isinstance(i, RowError) else i for i in read_rows(path)]


def problems(error: InvalidInput) -> list[str]:
    return [e.msg for e in error.errors]


def test_a_byte_order_mark_before_the_header_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    path.write_bytes(b"\xef\xbb\xbf" + HEADER + ROW)
    assert items(path) == [Row(2, "Pump", "pressure", T0, 2.5)]


def test_a_quoted_name_keeps_its_line_break_as_written(tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    path.write_bytes(b'asset,signal,ts,value\r\n"North\r\nfield",s,2026-03-02T08:00:00Z,1\r\n')
    assert items(path) == [Row(3, "North\r\nfield", "s", T0, 1.0)]


def test_a_file_that_cannot_be_opened_has_no_line_number(tmp_path: Path) -> None:
    folder = tmp_path / "points.csv"
    folder.mkdir()
    assert items(folder) == [(0, "cannot read: Is a directory")]


def test_an_empty_file_says_which_header_it_lacks(tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    path.write_bytes(b"")
    assert items(path) == [(1, "expected the header asset,signal,ts,value, found an empty file")]


def test_a_header_that_is_not_utf8_stops_the_file_at_line_one(tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    path.write_bytes(b"asset,signal,ts,value\xff\n" + ROW)
    assert items(path) == [
        (
            1,
            "cannot read the header: "
            "'utf-8' codec can't decode byte 0xff in position 21: invalid start byte",
        )
    ]


def test_bytes_that_are_not_utf8_later_on_end_the_file_with_a_located_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "points.csv"
    path.write_bytes(HEADER + ROW * 3_000 + b"Pump,pressure,2026-03-02T08:00:00Z,\xff\n")
    *rows, last = items(path)
    assert rows
    assert all(isinstance(row, Row) for row in rows)
    assert isinstance(last, tuple)
    line, message = last
    assert line > len(rows)  # the line the decoder stopped at, in the part already read
    assert message.startswith("'utf-8' codec can't decode byte 0xff in position ")


def test_a_catalogue_must_be_an_object(tmp_path: Path) -> None:
    path = tmp_path / "assets.json"
    path.write_text("[]", encoding="utf-8")
    with pytest.raises(InvalidInput) as refused:
        read_catalogue(path)
    assert problems(refused.value) == [
        f"{path}: (top level): Input should be a valid dictionary or instance of Catalogue"
    ]


def test_a_catalogue_that_is_not_utf8_cannot_be_read(tmp_path: Path) -> None:
    path = tmp_path / "assets.json"
    path.write_bytes(b'{"assets": [\xff]}')
    with pytest.raises(InvalidInput) as refused:
        read_catalogue(path)
    assert problems(refused.value) == [
        f"{path}: cannot read: "
        "'utf-8' codec can't decode byte 0xff in position 12: invalid start byte"
    ]


def test_a_catalogue_keeps_characters_beyond_ascii(tmp_path: Path) -> None:
    path = tmp_path / "assets.json"
    path.write_bytes('{"assets": [{"name": "Pompe à eau"}]}'.encode())
    assert [a.name for a in read_catalogue(path).assets] == ["Pompe à eau"]


def test_a_folder_of_catalogues_only_or_measurements_only_is_fine(tmp_path: Path) -> None:
    catalogues, measurements = tmp_path / "catalogues", tmp_path / "measurements"
    catalogues.mkdir()
    measurements.mkdir()
    (catalogues / "a.JSON").write_text("{}")
    (measurements / "b.Csv").write_text("")
    assert split_files([catalogues, measurements]) == (
        [catalogues / "a.JSON"],
        [measurements / "b.Csv"],
    )


def test_a_folder_without_catalogues_or_measurements_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(InvalidInput) as refused:
        split_files([tmp_path])
    assert problems(refused.value) == [f"{tmp_path}: no .json or .csv files in this folder"]


def test_the_problems_are_listed_one_a_line_and_one_an_error() -> None:
    refused = bad_files(["a.csv:2: bad", "b.json: worse"])
    assert refused.detail == (
        "problems in the seed files, nothing was written:\n  a.csv:2: bad\n  b.json: worse"
    )
    assert refused.errors == [
        FieldError(("file",), "a.csv:2: bad", "seed_file"),
        FieldError(("file",), "b.json: worse", "seed_file"),
    ]
