"""POSTs signed webhooks with explicit timeouts and sorts the answer into delivered, retry or rejected."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import requests

from ..domain.delivery import DeliveryFailed, webhook_outcome
from ..domain.signing import EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signature_header

USER_AGENT = "Marktplatz-Webhooks/1"


def webhook_body(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")


@dataclass
class WebhookClient:
    connect_timeout: float = 3.0
    read_timeout: float = 10.0

    def post(self, url: str, payload: dict[str, Any], secret: str) -> int:
        """POST ``payload`` signed with ``secret``; return the status code of a 2xx answer.

        Raises :class:`DeliveryFailed` on timeouts, connection errors, 5xx, 408, 425 and 429, and
        :class:`DeliveryRejected` on any other answer.
        """
        body = webhook_body(payload)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature_header(secret, int(time.time()), body),
            EVENT_ID_HEADER: payload["event_id"],
            EVENT_TYPE_HEADER: payload["event_type"],
        }
        try:
            response = requests.post(
                url,
                data=body,
                headers=headers,
                timeout=(self.connect_timeout, self.read_timeout),
                allow_redirects=False,
            )
        except requests.Timeout as exc:
            raise DeliveryFailed(f"webhook {url} timed out: {exc}") from exc
        except requests.RequestException as exc:
            raise DeliveryFailed(f"webhook {url} unreachable: {type(exc).__name__}: {exc}") from exc
        failure = webhook_outcome(response.status_code)
        if failure is not None:
            raise failure(f"webhook {url} answered {response.status_code}: {response.text[:200]!r}")
        return response.status_code
