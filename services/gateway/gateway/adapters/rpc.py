"""Calls to the platform's services over nameko RPC: one long-lived standalone proxy per thread.

A standalone proxy must never be shared by concurrent callers, and starting one per request costs 3-4x in
throughput (architecture.md), so each gunicorn worker thread starts its own on first use and keeps it. A
proxy that failed on the connection is dropped and the next call starts a fresh one.

The kernel's platform errors (``marktplatz_shared.errors``) are registered with nameko so that they arrive as
themselves, details included (field errors, shortages); any other remote exception arrives as nameko's
``RemoteError`` whose ``exc_type`` names the class the other service raised.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from nameko.exceptions import RemoteError, RpcTimeout, UnknownService, deserialize_to_instance
from nameko.standalone.rpc import ClusterRpcProxy

from marktplatz_shared import errors
from marktplatz_shared.logs import CORRELATION_KEY

log = logging.getLogger(__name__)


class ServiceUnavailable(Exception):
    """The broker or the service did not answer in time; retrying later may succeed."""


def register_platform_errors() -> None:
    """Let nameko rebuild the kernel's errors with their arguments instead of a bare RemoteError."""
    for cls in (errors.NotFound, errors.InvalidInput, errors.Conflict, errors.Unavailable):
        deserialize_to_instance(cls)


class RpcClient:
    def __init__(self, amqp_uri: str, timeout: float):
        register_platform_errors()
        self.config = {"AMQP_URI": amqp_uri}
        self.timeout = timeout
        self._local = threading.local()
        self._all: list[ClusterRpcProxy] = []
        self._lock = threading.Lock()

    def call(self, service: str, method: str, *args: Any, correlation_id: str | None = None, **kwargs: Any) -> Any:
        proxy, context = self._proxy()
        context[CORRELATION_KEY] = correlation_id
        try:
            return getattr(getattr(proxy, service), method)(*args, **kwargs)
        except (RemoteError, errors.PlatformError):
            raise
        except RpcTimeout as exc:
            raise ServiceUnavailable(f"{service} did not answer within {self.timeout:g}s") from exc
        except UnknownService as exc:
            raise ServiceUnavailable(f"{service} is not running") from exc
        except (OSError, ConnectionError) as exc:
            self._discard()
            raise ServiceUnavailable("the message broker is not reachable") from exc

    def _proxy(self):
        local = self._local
        if getattr(local, "proxy", None) is None:
            context: dict[str, Any] = {}
            # the proxy keeps this very dict as its context data: setting a key sets it for the next call
            standalone = ClusterRpcProxy(self.config, context_data=context, timeout=self.timeout)
            try:
                local.proxy = standalone.start()
            except (OSError, ConnectionError) as exc:
                raise ServiceUnavailable("the message broker is not reachable") from exc
            local.standalone, local.context = standalone, context
            with self._lock:
                self._all.append(standalone)
        return local.proxy, local.context

    def _discard(self) -> None:
        standalone = getattr(self._local, "standalone", None)
        self._local.proxy = None
        if standalone is not None:
            with self._lock:
                if standalone in self._all:
                    self._all.remove(standalone)
            try:
                standalone.stop()
            except Exception:  # noqa: BLE001 - the connection is already broken
                log.debug("stopping a broken RPC proxy failed", exc_info=True)

    def close(self) -> None:
        """Stop every proxy this client started (at worker exit and in tests)."""
        with self._lock:
            proxies, self._all = self._all, []
        for standalone in proxies:
            try:
                standalone.stop()
            except Exception:  # noqa: BLE001
                log.debug("stopping an RPC proxy failed", exc_info=True)


def ping_services(amqp_uri: str, services: list[str], timeout: float) -> dict[str, str]:
    """``{service: "ok" | reason}`` from each service's ``health()``, with a proxy of its own (short timeout)."""
    results: dict[str, str] = {}
    try:
        with ClusterRpcProxy({"AMQP_URI": amqp_uri}, timeout=timeout) as rpc:
            for service in services:
                try:
                    answer = getattr(rpc, service).health()
                    results[service] = "ok" if answer.get("status") == "ok" else str(answer.get("status"))
                except RpcTimeout:
                    results[service] = "timeout"
                except UnknownService:
                    results[service] = "not running"
                except RemoteError as exc:
                    results[service] = f"error: {exc.exc_type}"
    except (OSError, ConnectionError):
        return {"broker": "unreachable"}
    return results
