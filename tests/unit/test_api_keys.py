"""Key format, hashing and roles."""

import pytest

from assetwatch.domain import Role
from assetwatch.domain.api_keys import hash_secret, issue_key, split_token


def test_an_issued_key_stores_only_the_prefix_and_a_hash_of_the_secret() -> None:
    issued = issue_key(organization_id=1, name="device", role=Role.writer)
    parts = split_token(issued.token)
    assert parts is not None
    prefix, secret = parts
    assert issued.key.prefix == prefix
    assert issued.key.secret_hash == hash_secret(secret)
    assert secret not in issued.key.model_dump_json()


def test_matching_accepts_the_secret_and_nothing_else() -> None:
    issued = issue_key(organization_id=1, name="device", role=Role.reader)
    parts = split_token(issued.token)
    assert parts is not None
    assert issued.key.matches(parts[1])
    assert not issued.key.matches(parts[1] + "x")


def test_two_keys_never_share_a_token() -> None:
    assert issue_key(1, "a", Role.admin).token != issue_key(1, "a", Role.admin).token


@pytest.mark.parametrize(
    "token", ["", "aw_", "aw_abc", "aw__secret", "xx_abc_secret", "Bearer aw_abc_def", "abc"]
)
def test_malformed_tokens_do_not_split(token: str) -> None:
    assert split_token(token) is None


def test_a_secret_may_contain_underscores() -> None:
    assert split_token("aw_abc_se_cr_et") == ("abc", "se_cr_et")


@pytest.mark.parametrize(
    ("held", "required", "allowed"),
    [
        (Role.admin, Role.admin, True),
        (Role.admin, Role.reader, True),
        (Role.writer, Role.reader, True),
        (Role.writer, Role.admin, False),
        (Role.reader, Role.writer, False),
    ],
)
def test_roles_nest_admin_over_writer_over_reader(
    held: Role, required: Role, allowed: bool
) -> None:
    assert held.allows(required) is allowed
