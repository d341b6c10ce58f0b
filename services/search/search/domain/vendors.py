"""Shops as search sees them: where they are, when they are open, how they hand goods over."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

EARTH_RADIUS_KM = 6371.0
WEEKDAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Vendor:
    vendor_id: str
    name: str
    lat: float
    lon: float
    timezone: str = "Europe/Berlin"
    opening_hours: dict[str, list[list[str]]] = field(default_factory=dict)
    fulfilment: tuple[str, ...] = ()
    city: str = ""

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Vendor:
        """From a vendor event's data (``vendor_id``) or a demo/catalog row (``id``)."""
        return cls(
            vendor_id=data.get("vendor_id") or data["id"],
            name=data["name"],
            lat=float(data["lat"]),
            lon=float(data["lon"]),
            timezone=data.get("timezone") or "Europe/Berlin",
            opening_hours={k: [list(i) for i in v] for k, v in (data.get("opening_hours") or {}).items()},
            fulfilment=tuple(data.get("fulfilment") or ()),
            city=data.get("city", ""),
        )

    def to_data(self) -> dict[str, Any]:
        return {
            "vendor_id": self.vendor_id,
            "name": self.name,
            "lat": self.lat,
            "lon": self.lon,
            "timezone": self.timezone,
            "opening_hours": self.opening_hours,
            "fulfilment": list(self.fulfilment),
            "city": self.city,
        }

    def distance_km(self, lat: float, lon: float) -> float:
        return haversine_km(lat, lon, self.lat, self.lon)

    def is_open(self, at: datetime) -> bool:
        """Open at the instant ``at`` (aware), judged by the shop's local time."""
        try:
            local = at.astimezone(ZoneInfo(self.timezone))
        except Exception:  # noqa: BLE001 - an unknown zone name: judge by Berlin time
            local = at.astimezone(ZoneInfo("Europe/Berlin"))
        minute = local.hour * 60 + local.minute
        for start, end in self.opening_hours.get(WEEKDAYS[local.weekday()], []):
            if _minutes(start) <= minute < _minutes(end):
                return True
        return False


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)
