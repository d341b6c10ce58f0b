"""API keys: random, shown once, stored as a hash, found by their public id.

A key reads ``mpk_<key_id>_<secret>``: the id (public, in logs and in the operator's listing) finds the stored
record, the secret is checked against its SHA-256 digest in constant time. Secrets carry 256 random bits, so a
plain digest is enough (a slow password hash protects guessable secrets, which these are not).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "mpk"
_KEY = re.compile(r"^mpk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$")


class Role(StrEnum):
    OPERATOR = "operator"
    RETAILER = "retailer"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the operator, a retailer bound to one vendor, or nobody (a shopper)."""

    role: Role | None
    key_id: str | None = None
    vendor_id: str | None = None

    @property
    def rate_limit_subject(self) -> str | None:
        return self.key_id


ANONYMOUS = Principal(role=None)
OPERATOR = Principal(role=Role.OPERATOR, key_id="operator")


@dataclass(frozen=True)
class NewKey:
    key_id: str
    secret_hash: str
    plaintext: str  # shown to the operator once, never stored


@dataclass(frozen=True)
class PresentedKey:
    key_id: str
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def generate_key() -> NewKey:
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return NewKey(key_id=key_id, secret_hash=hash_secret(secret), plaintext=f"{PREFIX}_{key_id}_{secret}")


def parse_key(presented: str) -> PresentedKey | None:
    """The id and secret of a presented retailer key, or None when it is not shaped like one."""
    match = _KEY.match(presented or "")
    return PresentedKey(match.group(1), match.group(2)) if match else None


def secret_matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(hash_secret(secret), secret_hash)


def operator_key_matches(presented: str, operator_key: str) -> bool:
    return bool(operator_key) and hmac.compare_digest(presented.encode(), operator_key.encode())
