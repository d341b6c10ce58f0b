"""Reservations for orders: which requests are valid and which state changes are allowed.

A reservation is all or nothing: either every line is held or none is. It is identified by the order's
reference, so repeating ``reserve``/``commit``/``release`` with the same reference has no second effect.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from marktplatz_shared.errors import Conflict
from marktplatz_shared.events.contracts import SKU, VENDOR_ID

from .validation import invalid

RESERVED, COMMITTED, RELEASED = "reserved", "committed", "released"
MAX_LINES = 200
MAX_QUANTITY = 10_000


@dataclass(frozen=True, order=True)
class ReservationLine:
    vendor_id: str
    sku: str
    quantity: int


def parse_request(order_ref: Any, lines: Any, expires_at: Any) -> tuple[str, list[ReservationLine], datetime]:
    """Validated order reference, lines (same product merged, sorted: rows are locked in one order) and expiry."""
    problems: dict[str, list[str]] = {}
    if not isinstance(order_ref, str) or not 1 <= len(order_ref) <= 200:
        problems["order_ref"] = ["must be a string of 1-200 characters"]
    expiry = None
    try:
        expiry = parse_time(expires_at)
    except ValueError as exc:
        problems["expires_at"] = [str(exc)]
    merged: dict[tuple[str, str], int] = {}
    if not isinstance(lines, list) or not lines or len(lines) > MAX_LINES:
        problems["lines"] = [f"must be a list of 1-{MAX_LINES} lines"]
        lines = []
    for index, line in enumerate(lines):
        line_problems = _line_problems(line)
        if line_problems:
            for name, message in line_problems.items():
                problems[f"lines.{index}.{name}"] = [message]
            continue
        key = (line["vendor_id"], line["sku"])
        merged[key] = merged.get(key, 0) + line["quantity"]
    if problems:
        raise invalid("reservation", problems)
    return order_ref, sorted(ReservationLine(v, s, q) for (v, s), q in merged.items()), expiry


def _line_problems(line: Any) -> dict[str, str]:
    if not isinstance(line, dict):
        return {"_schema": "expected an object"}
    problems = {}
    for name, rule in (("vendor_id", VENDOR_ID), ("sku", SKU)):
        value = line.get(name)
        try:
            if not isinstance(value, str):
                raise ValueError
            rule(value)
        except Exception:  # noqa: BLE001 - marshmallow's ValidationError or our ValueError: same answer
            problems[name] = "missing or invalid"
    quantity = line.get("quantity")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_QUANTITY:
        problems["quantity"] = f"must be a whole number from 1 to {MAX_QUANTITY}"
    unknown = set(line) - {"vendor_id", "sku", "quantity"}
    if unknown:
        problems["_schema"] = f"unknown fields: {', '.join(sorted(unknown))}"
    return problems


def parse_time(value: Any) -> datetime:
    """An ISO 8601 time with offset, in UTC."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("must be an ISO 8601 time with offset") from None
    else:
        raise ValueError("must be an ISO 8601 time with offset")
    if moment.tzinfo is None:
        raise ValueError("must carry a UTC offset")
    return moment.astimezone(UTC)


def same_lines(stored: Iterable[ReservationLine], requested: Iterable[ReservationLine]) -> bool:
    return sorted(stored) == sorted(requested)


def check_can_commit(order_ref: str, status: str) -> bool:
    """True when the commit has an effect, False when it already happened; Conflict when it cannot."""
    if status == COMMITTED:
        return False
    if status == RELEASED:
        raise Conflict(f"reservation {order_ref} was released (or expired) and cannot be committed")
    return True


def check_can_release(order_ref: str, status: str) -> bool:
    """True when the release has an effect, False when it already happened; Conflict when it cannot."""
    if status == RELEASED:
        return False
    if status == COMMITTED:
        raise Conflict(f"reservation {order_ref} is committed (sold) and cannot be released")
    return True
