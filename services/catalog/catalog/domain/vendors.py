"""Vendors (shops): what makes a vendor record valid, and how changes apply to one."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marktplatz_shared.events.contracts import WEEKDAYS, VendorData

from .validation import invalid, load

IMMUTABLE_FIELDS = ("vendor_id",)


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def opening_hours_problems(hours: dict[str, list[list[str]]]) -> dict[str, list[str]]:
    """Each day's intervals must open before they close and must not overlap (sorted is not required)."""
    problems: dict[str, list[str]] = {}
    for day, intervals in hours.items():
        spans = sorted((_minutes(start), _minutes(end), start, end) for start, end in intervals)
        for start, end, start_text, end_text in spans:
            if end <= start:
                problems.setdefault(f"opening_hours.{day}", []).append(
                    f"interval {start_text}-{end_text} closes before it opens"
                )
        for (_, previous_end, _, previous_end_text), (start, _, start_text, _) in zip(spans, spans[1:], strict=False):
            if start < previous_end:
                problems.setdefault(f"opening_hours.{day}", []).append(
                    f"intervals overlap at {start_text} (previous closes {previous_end_text})"
                )
    return problems


def normalise_opening_hours(hours: dict[str, list[list[str]]] | None) -> dict[str, list[list[str]]]:
    """Every weekday present (a missing day is a closed day), intervals sorted by opening time."""
    hours = hours or {}
    return {day: sorted([list(interval) for interval in hours.get(day, [])]) for day in WEEKDAYS}


def validate_vendor(data: Any) -> dict[str, Any]:
    """A complete vendor record in the shape of the ``vendor_registered`` contract, or InvalidInput."""
    vendor = load(VendorData, data, "vendor")
    problems = opening_hours_problems(vendor.get("opening_hours") or {})
    try:
        ZoneInfo(vendor["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        problems["timezone"] = [f"unknown time zone {vendor['timezone']!r}"]
    if not vendor["fulfilment"]:
        problems["fulfilment"] = ["at least one of pickup, delivery"]
    if problems:
        raise invalid("vendor", problems)
    vendor["opening_hours"] = normalise_opening_hours(vendor.get("opening_hours"))
    vendor["fulfilment"] = sorted(set(vendor["fulfilment"]))
    return vendor


def apply_vendor_changes(current: dict[str, Any], changes: Any) -> dict[str, Any]:
    """The vendor after a partial update; the id cannot change."""
    if not isinstance(changes, dict):
        raise invalid("vendor changes", {"_schema": ["expected an object"]})
    for name in IMMUTABLE_FIELDS:
        if name in changes and changes[name] != current[name]:
            raise invalid("vendor changes", {name: ["cannot be changed"]})
    return validate_vendor({**current, **changes})
