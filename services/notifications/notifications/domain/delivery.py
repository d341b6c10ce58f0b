"""How a failed delivery goes on: retried later, or refused for good."""

from __future__ import annotations


class DeliveryFailed(Exception):
    """An attempt failed in a way that may pass: the event is retried after a back-off delay."""


class DeliveryRejected(Exception):
    """The receiver refused the notification; retrying cannot help (webhook 4xx, unknown mailbox)."""


class SendInProgress(DeliveryFailed):
    """Another worker holds the claim on this notification (a duplicate delivered concurrently)."""


RETRYABLE_STATUSES = frozenset({408, 425, 429})


def webhook_outcome(status_code: int) -> type[Exception] | None:
    """None when the receiver took the webhook (2xx); else the failure class for its answer.

    5xx, 408, 425 and 429 are retried; any other answer (4xx, and 3xx: redirects are not followed) is a
    rejection.
    """
    if 200 <= status_code < 300:
        return None
    if status_code >= 500 or status_code in RETRYABLE_STATUSES:
        return DeliveryFailed
    return DeliveryRejected
