"""Which broker user may send stock for which vendor.

RabbitMQ refuses a message whose ``user_id`` property differs from the user of the publishing connection,
so ``user_id`` tells which retailer's system sent a POS event. The rule: a retailer's user is
``<prefix><vendor_id>`` (``pos-v-lin-03``) and may send only for that vendor; the platform's own users
(``POS_TRUSTED_USERS``) may send for any vendor. A message without ``user_id`` is refused.
"""

from __future__ import annotations

from collections.abc import Collection

from marktplatz_shared.errors import InvalidInput


def check_pos_sender(user_id: str | None, vendor_id: str, trusted_users: Collection[str], prefix: str) -> None:
    """Raise InvalidInput (the message is dead-lettered at once) unless ``user_id`` may send for ``vendor_id``."""
    if not user_id:
        raise InvalidInput(
            f"POS message for vendor {vendor_id} has no user_id property: publish with user_id = your broker user",
            {"user_id": ["missing"]},
        )
    if user_id in trusted_users or user_id == f"{prefix}{vendor_id}":
        return
    raise InvalidInput(
        f"broker user {user_id!r} may not send stock for vendor {vendor_id!r} (expected user {prefix}{vendor_id})",
        {"vendor_id": [f"not the vendor of broker user {user_id}"]},
    )
