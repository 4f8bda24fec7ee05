"""Domain rules, on plain Pydantic objects: no database, no mappers."""

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import TypeAdapter, ValidationError

from assetwatch.domain import Asset, Conflict, Measurement, Organization, Points, Signal
from assetwatch.domain.types import MAX_ATTRIBUTE_DEPTH, Attributes, Timestamp


def test_names_are_trimmed() -> None:
    assert Asset(name="  Tractor 7 ").name == "Tractor 7"


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_names_must_hold_1_to_200_characters(name: str) -> None:
    with pytest.raises(ValidationError):
        Asset(name=name)


def test_a_name_of_200_characters_is_accepted() -> None:
    assert len(Signal(name="s" * 200).name) == 200


def test_units_are_short_text() -> None:
    assert Signal(name="temp", unit=" °C ").unit == "°C"
    with pytest.raises(ValidationError):
        Signal(name="temp", unit="u" * 33)


def test_assignment_is_validated_and_a_rejected_value_leaves_the_object_unchanged() -> None:
    asset = Asset(name="Harvester")
    with pytest.raises(ValidationError):
        asset.name = ""
    assert asset.name == "Harvester"


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ValidationError):
        Asset(name="x", colour="red")  # type: ignore[call-arg]


@pytest.mark.parametrize("slug", ["Acme", "acme-farms", "a1"])
def test_slugs_are_lowercased(slug: str) -> None:
    assert Organization(slug=slug, name="n").slug == slug.lower()


@pytest.mark.parametrize("slug", ["-acme", "acme-", "ac me", "ac_me", ""])
def test_bad_slugs_are_rejected(slug: str) -> None:
    with pytest.raises(ValidationError):
        Organization(slug=slug, name="n")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_measurement_values_must_be_finite(value: float) -> None:
    with pytest.raises(ValidationError, match="finite"):
        Measurement(signal_id=1, ts=datetime.now(UTC), value=value)


def test_measurement_timestamps_must_carry_a_timezone() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        Measurement(signal_id=1, ts=datetime(2026, 1, 1), value=1.0)


def test_timestamps_beyond_the_allowed_skew_are_located() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    stamps = [now + timedelta(minutes=5), now + timedelta(minutes=6), now]  # 5 min: the limit
    points = Points.of(Measurement(signal_id=1, ts=ts, value=1) for ts in stamps)
    errors = points.future_errors(now)
    assert [(e.field, e.type) for e in errors] == [(("points", 1, "ts"), "future_timestamp")]


def test_measurement_timestamps_are_held_in_utc() -> None:
    ts = datetime(2026, 1, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    held = Measurement(signal_id=1, ts=ts, value=1).ts
    assert held == ts
    assert held.tzinfo is UTC
    assert held.hour == 8


def test_instants_before_year_one_in_utc_are_refused() -> None:
    Measurement(signal_id=1, ts=datetime(1, 1, 1, tzinfo=UTC), value=1)  # the earliest: fine
    with pytest.raises(ValidationError, match="between years 1 and 9999 in UTC"):
        Measurement(signal_id=1, ts=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))), value=1)


def test_signal_names_are_unique_per_asset_regardless_of_case() -> None:
    asset = Asset(name="Tractor")
    asset.add_signal(Signal(name="Engine temp"))
    with pytest.raises(Conflict):
        asset.add_signal(Signal(name="ENGINE TEMP"))
    assert [s.name for s in asset.signals] == ["Engine temp"]


def test_touch_moves_updated_at_forward() -> None:
    asset = Asset(name="Tractor", updated_at=datetime(2020, 1, 1, tzinfo=UTC))
    asset.touch()
    assert asset.updated_at > datetime(2025, 1, 1, tzinfo=UTC)


def test_attributes_nest_at_most_four_levels_of_objects_and_lists() -> None:
    attributes = TypeAdapter(Attributes)
    deepest = {"a": {"b": [{"c": 1}]}}  # the object and three levels inside it
    assert attributes.validate_python(deepest) == deepest
    assert MAX_ATTRIBUTE_DEPTH == 4
    with pytest.raises(ValidationError, match="at most 4 levels"):
        attributes.validate_python({"a": {"b": [{"c": []}]}})


@pytest.mark.parametrize("stamp", [0, 1_795_334_400.5, "1795334400", True])
def test_an_instant_is_rfc_3339_text_and_the_refusal_says_so(stamp: object) -> None:
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(Timestamp).validate_python(stamp)
    assert [e["msg"] for e in refused.value.errors()] == [
        "Value error, must be an RFC 3339 date-time, such as 2026-11-22T08:00:00Z"
    ]
