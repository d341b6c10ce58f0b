"""The port to catalog: reservations and vendor look-ups over nameko RPC, each call bounded in time.

nameko 2.14's RpcProxy waits for a reply forever, so every call here is made with ``call_async`` and awaited
under an ``eventlet.Timeout``. Calls made together (one per vendor) run in parallel under one deadline.
Whatever goes wrong on the way (no catalog running, a timeout, a broken connection, an unexpected error in
catalog) becomes :class:`CatalogUnavailable`; NotFound and InvalidInput from catalog keep their meaning.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import eventlet
from nameko.exceptions import RemoteError, UnknownService

from marktplatz_shared.errors import PlatformError

log = logging.getLogger(__name__)


class CatalogUnavailable(Exception):
    """catalog did not answer in time, or is not running."""


class CatalogRefused(Exception):
    """catalog answered NotFound or InvalidInput: the request names something catalog does not know."""

    def __init__(self, exc_type: str, message: str):
        self.exc_type = exc_type
        super().__init__(message)


@dataclass(frozen=True)
class Call:
    method: str
    args: tuple = ()


class CatalogPort:
    def __init__(self, proxy: Any, timeout: float):
        self.proxy = proxy
        self.timeout = timeout

    def call_all(self, calls: Sequence[Call]) -> list[Any]:
        """Run the calls in parallel; each result is the answer or the exception (CatalogUnavailable/Refused)."""
        deadline = time.monotonic() + self.timeout
        pending: list[Any] = []
        for call in calls:
            try:
                pending.append(getattr(self.proxy, call.method).call_async(*call.args))
            except UnknownService:
                pending.append(CatalogUnavailable("catalog is not running"))
            except Exception as exc:  # noqa: BLE001 - a broken connection must not escape as a crash
                pending.append(CatalogUnavailable(f"cannot reach catalog ({type(exc).__name__})"))
        return [reply if isinstance(reply, Exception) else self._await(reply, deadline) for reply in pending]

    def call(self, method: str, *args: Any) -> Any:
        (result,) = self.call_all([Call(method, args)])
        if isinstance(result, Exception):
            raise result
        return result

    @staticmethod
    def _await(reply: Any, deadline: float) -> Any:
        timer = eventlet.Timeout(max(deadline - time.monotonic(), 0.001))
        try:
            return reply.result()
        except eventlet.Timeout as exc:
            if exc is not timer:
                raise
            return CatalogUnavailable("catalog did not answer in time")
        except (RemoteError, PlatformError) as exc:
            # a RemoteError names the class; where the kernel's errors are registered with nameko they arrive
            # rebuilt as themselves
            exc_type = exc.exc_type if isinstance(exc, RemoteError) else type(exc).__name__
            if exc_type in ("NotFound", "InvalidInput"):
                return CatalogRefused(exc_type, str(exc))
            log.warning("catalog answered with %s", exc_type)
            return CatalogUnavailable(f"catalog failed ({exc_type})")
        except Exception as exc:  # noqa: BLE001
            return CatalogUnavailable(f"cannot reach catalog ({type(exc).__name__})")
        finally:
            timer.cancel()

    # --- the operations orders needs -------------------------------------------------------------------

    def vendors(self, vendor_ids: Sequence[str]) -> list[Any]:
        return self.call_all([Call("get_vendor", (v,)) for v in vendor_ids])

    def reserve_all(self, reservations: Sequence[tuple[str, list[dict], str]]) -> list[Any]:
        """``[(order_ref, lines, expires_at)]`` -> one answer (or exception) per reservation."""
        return self.call_all([Call("reserve", r) for r in reservations])

    def release_all(self, order_refs: Sequence[str]) -> bool:
        """True when catalog confirmed every release."""
        results = self.call_all([Call("release_reservation", (ref,)) for ref in order_refs])
        return all(isinstance(r, dict) and r.get("status") == "released" for r in results)

    def commit(self, order_ref: str) -> bool:
        (result,) = self.call_all([Call("commit_reservation", (order_ref,))])
        return isinstance(result, dict) and result.get("status") == "committed"
