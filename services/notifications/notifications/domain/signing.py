"""Webhook signatures: HMAC-SHA256 over ``"<timestamp>.<body>"`` with the vendor's secret.

The header reads ``Marktplatz-Signature: t=1767225600,v1=5f2b...``; receivers verify it with the snippet
in docs/webhooks.md (docs/webhook_verify.py).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SIGNATURE_HEADER = "Marktplatz-Signature"
EVENT_ID_HEADER = "Marktplatz-Event-Id"
EVENT_TYPE_HEADER = "Marktplatz-Event-Type"
SECRET_PREFIX = "whsec_"


def new_webhook_secret() -> str:
    return SECRET_PREFIX + secrets.token_hex(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"
