"""Whether a shop is open at a moment, from the opening hours the catalog holds (its own time zone)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")


def is_open(opening_hours: dict[str, list[list[str]]] | None, timezone: str, at: datetime) -> bool:
    """``{"mo": [["09:00", "18:00"]], ...}``; ``at`` must carry a time zone. Unknown zones count as Berlin."""
    if not opening_hours:
        return False
    try:
        zone = ZoneInfo(timezone or "Europe/Berlin")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("Europe/Berlin")
    local = at.astimezone(zone)
    now = local.strftime("%H:%M")
    for start, end in opening_hours.get(WEEKDAYS[local.weekday()], []):
        if start <= now < end:
            return True
    return False
