"""API keys: `aw_<prefix>_<secret>`, stored as the prefix and a SHA-256 of the secret only."""

import hashlib
import hmac
import secrets
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from assetwatch.domain.types import ENTITY_CONFIG, Name, utcnow

KEY_SCHEME = "aw"
PREFIX_BYTES = 6
SECRET_BYTES = 32


class Role(StrEnum):
    reader = "reader"
    writer = "writer"
    admin = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, required: "Role") -> bool:
        """admin ⊇ writer ⊇ reader."""
        return self.rank >= required.rank


_RANKS = {Role.reader: 0, Role.writer: 1, Role.admin: 2}


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def split_token(token: str) -> tuple[str, str] | None:
    """`aw_<prefix>_<secret>` → (prefix, secret), or None when it is not of that shape."""
    scheme, sep, rest = token.partition("_")
    prefix, sep2, secret = rest.partition("_")
    if scheme != KEY_SCHEME or not sep or not sep2 or not prefix or not secret:
        return None
    return prefix, secret


class ApiKey(BaseModel):
    model_config = ENTITY_CONFIG

    id: int | None = None
    organization_id: int
    name: Name
    prefix: str
    secret_hash: str
    role: Role
    created_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def matches(self, secret: str) -> bool:
        """Constant-time comparison of the presented secret against the stored hash."""
        return hmac.compare_digest(self.secret_hash, hash_secret(secret))


class IssuedKey(BaseModel):
    """A freshly created key and its token: the only moment the secret exists in clear."""

    model_config = ConfigDict(frozen=True)

    key: ApiKey
    token: str


def issue_key(organization_id: int, name: str, role: Role) -> IssuedKey:
    prefix = secrets.token_hex(PREFIX_BYTES)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    key = ApiKey(
        organization_id=organization_id,
        name=name,
        prefix=prefix,
        secret_hash=hash_secret(secret),
        role=role,
    )
    return IssuedKey(key=key, token=f"{KEY_SCHEME}_{prefix}_{secret}")
