"""Pickup codes and order tokens.

A pickup code is what a shopper says at the counter: 6 characters from an alphabet without look-alikes
(no 0/O, 1/I/L, 2/Z, 5/S, 8/B), 25^6 (about 244 million) codes, drawn with ``secrets``.

An order token is the shopper's key to an order (256 bits). It is derived with HMAC from a server secret
and the order id, so a retried checkout can hand back the same token without the database ever holding
it: the database keeps only its SHA-256, and a stolen database does not open anyone's order.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

PICKUP_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
PICKUP_CODE_LENGTH = 6


def new_pickup_code() -> str:
    return "".join(secrets.choice(PICKUP_ALPHABET) for _ in range(PICKUP_CODE_LENGTH))


def order_token(server_secret: str, order_id: str) -> str:
    digest = hmac.new(server_secret.encode(), f"order-token:{order_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str | None, stored_hash: str | None) -> bool:
    if not token or not stored_hash:
        return False
    return hmac.compare_digest(token_hash(token), stored_hash)
