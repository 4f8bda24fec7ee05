"""Field rules of the domain's entities and the messages a client reads when one is broken."""

import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from assetwatch.domain import Asset, Conflict, Measurement, Organization, Role, Signal
from assetwatch.domain.api_keys import issue_key, split_token


def messages(error: ValidationError) -> list[str]:
    return [e["msg"] for e in error.errors()]


def test_a_bad_slug_says_what_a_slug_may_hold() -> None:
    with pytest.raises(ValidationError) as refused:
        Organization(slug="-acme", name="Acme")
    assert messages(refused.value) == [
        "Value error, use lowercase letters, digits and inner hyphens"
    ]


def test_a_tag_with_a_comma_says_which_characters_are_refused() -> None:
    with pytest.raises(ValidationError) as refused:
        Asset(name="Tractor", tags=["north,field"])
    assert messages(refused.value) == [
        "Value error, a tag may not contain commas, tabs, line breaks or control characters"
    ]


def test_an_instant_before_year_one_in_utc_says_the_years_allowed() -> None:
    early = datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1)))
    with pytest.raises(ValidationError) as refused:
        Measurement(signal_id=1, ts=early, value=1.0)
    assert messages(refused.value) == ["Value error, must lie between years 1 and 9999 in UTC"]


def test_attributes_hold_finite_numbers_at_any_depth() -> None:
    attributes: dict[str, Any] = {"hours": 1200.5, "axles": [1.0, {"load": 2.5}], "ok": True}
    assert Asset(name="Tractor", attributes=attributes).attributes == attributes


@pytest.mark.parametrize(
    "attributes",
    [
        {"hours": math.nan},
        {"axles": [1.0, math.inf]},
        {"engine": {"hours": -math.inf}},
        {"axles": [{"load": math.nan}]},
    ],
    ids=["top level", "in a list", "in an object", "in an object in a list"],
)
def test_attributes_refuse_nan_and_infinity_at_any_depth(attributes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        Asset(name="Tractor", attributes=attributes)
    assert messages(refused.value) == ["Value error, must be a finite number"]


def test_a_duplicate_signal_name_names_the_signal() -> None:
    asset = Asset(name="Tractor", signals=[Signal(name="temp")])
    with pytest.raises(Conflict) as refused:
        asset.add_signal(Signal(name="TEMP"))
    assert refused.value.detail == "asset already has a signal named 'TEMP'"


def test_an_issued_token_is_the_scheme_a_12_digit_hex_prefix_and_a_43_character_secret() -> None:
    issued = issue_key(organization_id=1, name="ci", role=Role.writer)
    assert re.fullmatch(r"aw_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", issued.token)
    assert split_token(issued.token) == (issued.key.prefix, issued.token[16:])
