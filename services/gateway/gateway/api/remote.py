"""Calling a service from a view: the worker thread's RPC proxy, with the request's correlation id."""

from __future__ import annotations

from typing import Any

from flask import current_app, g


def call(service: str, method: str, *args: Any, **kwargs: Any) -> Any:
    rpc = current_app.extensions["gateway"].rpc
    return rpc.call(service, method, *args, correlation_id=g.get("correlation_id"), **kwargs)
