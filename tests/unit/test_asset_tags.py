"""Asset tags: normalised, bounded and unique, on plain Pydantic objects."""

import pytest
from pydantic import ValidationError

from assetwatch.domain import Asset
from assetwatch.domain.tags import MAX_TAG_LENGTH, MAX_TAGS, normalise_tag


def test_an_asset_has_no_tags_by_default() -> None:
    assert Asset(name="Tractor").tags == []


def test_tags_are_trimmed_and_lowercased() -> None:
    assert Asset(name="Tractor", tags=["  North-Field ", "Fleet:B"]).tags == [
        "north-field",
        "fleet:b",
    ]


def test_duplicates_after_normalisation_are_dropped_keeping_first_seen_order() -> None:
    tags = ["b", "A", " a ", "B", "c"]
    assert Asset(name="Tractor", tags=tags).tags == ["b", "a", "c"]


@pytest.mark.parametrize(
    "tag",
    ["", "   ", "x" * (MAX_TAG_LENGTH + 1), "a,b", "tab\there", "line\nbreak", "nul\x00"],
)
def test_a_tag_must_be_1_to_64_plain_characters_without_commas(tag: str) -> None:
    with pytest.raises(ValidationError):
        Asset(name="Tractor", tags=[tag])


def test_a_tag_of_64_characters_with_inner_spaces_is_accepted() -> None:
    tag = "a b" + "c" * (MAX_TAG_LENGTH - 3)
    assert Asset(name="Tractor", tags=[tag]).tags == [tag]


def test_at_most_50_different_tags() -> None:
    assert len(Asset(name="T", tags=[f"t{i}" for i in range(MAX_TAGS)]).tags) == MAX_TAGS
    with pytest.raises(ValidationError, match="at most 50"):
        Asset(name="T", tags=[f"t{i}" for i in range(MAX_TAGS + 1)])


def test_the_limit_counts_tags_after_removing_duplicates() -> None:
    tags = [f"t{i}" for i in range(MAX_TAGS)] + ["T0", "t1 "]
    assert len(Asset(name="T", tags=tags).tags) == MAX_TAGS


def test_a_single_string_is_not_a_list_of_tags() -> None:
    with pytest.raises(ValidationError):
        Asset(name="T", tags="north")


def test_assigning_tags_is_validated_and_a_rejected_list_changes_nothing() -> None:
    asset = Asset(name="Tractor", tags=["a"])
    asset.tags = [" B ", "b"]
    assert asset.tags == ["b"]
    with pytest.raises(ValidationError):
        asset.tags = ["ok", ""]
    assert asset.tags == ["b"]


def test_a_query_tag_is_normalised_like_a_stored_one() -> None:
    assert normalise_tag("  North-Field ") == "north-field"
    with pytest.raises(ValidationError):
        normalise_tag("a,b")
