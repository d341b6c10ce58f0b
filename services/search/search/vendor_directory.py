"""The shops search knows, in memory: vendor-level filters (distance, open now, fulfilment) become vendor sets.

Distances from a shopper's position to every shop are computed once per position and kept in a small cache
(a shopper pages, refines and filters from the same place); any change to the shops empties it.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from datetime import datetime

from .domain import ranking
from .domain.query import SearchRequest
from .domain.vendors import EARTH_RADIUS_KM, Vendor

POSITIONS_CACHED = 256


class VendorDirectory:
    def __init__(self, vendors: list[Vendor] | None = None):
        self._lock = threading.Lock()
        self._set({v.vendor_id: v for v in vendors or []})

    def _set(self, vendors: dict[str, Vendor]) -> None:
        with self._lock:
            self._vendors = vendors
            # (vendor_id, lat and lon in radians, cos lat) in a stable order, for one pass per position
            self._points = [
                (v.vendor_id, math.radians(v.lat), math.radians(v.lon), math.cos(math.radians(v.lat)))
                for v in sorted(vendors.values(), key=lambda v: v.vendor_id)
            ]
            self._by_position: OrderedDict[tuple[float, float], _Position] = OrderedDict()

    def put(self, vendor: Vendor) -> None:
        if self._vendors.get(vendor.vendor_id) != vendor:
            self._set({**self._vendors, vendor.vendor_id: vendor})

    def replace_all(self, vendors: list[Vendor]) -> None:
        fresh = {v.vendor_id: v for v in vendors}
        if fresh != self._vendors:
            self._set(fresh)

    def get(self, vendor_id: str) -> Vendor | None:
        return self._vendors.get(vendor_id)

    def __len__(self) -> int:
        return len(self._vendors)

    def distances(self, lat: float, lon: float) -> dict[str, float]:
        """Kilometres from (lat, lon) to every shop."""
        return self._position(lat, lon).km

    def _position(self, lat: float, lon: float) -> _Position:
        key = (lat, lon)
        with self._lock:
            cache, points = self._by_position, self._points
            found = cache.get(key)
            if found is not None:
                cache.move_to_end(key)
                return found
        found = _Position(_distances(points, lat, lon))
        with self._lock:
            if cache is self._by_position:  # the shops did not change meanwhile
                cache[key] = found
                if len(cache) > POSITIONS_CACHED:
                    cache.popitem(last=False)
        return found

    def allowed(self, request: SearchRequest, now: datetime) -> frozenset[str] | None:
        """The vendors that pass the request's vendor-level filters, or None when it has none."""
        if not (request.vendor_id or request.max_km is not None or request.fulfilment or request.open_now):
            return None
        vendors = self._vendors.values()
        if request.vendor_id:
            vendors = [v for v in vendors if v.vendor_id == request.vendor_id]
        if request.fulfilment:
            vendors = [v for v in vendors if request.fulfilment in v.fulfilment]
        if request.max_km is not None:
            km, limit = self.distances(request.lat, request.lon), request.max_km
            vendors = [v for v in vendors if km[v.vendor_id] <= limit]
        if request.open_now:
            vendors = [v for v in vendors if v.is_open(now)]
        return frozenset(v.vendor_id for v in vendors)

    def distance_rings(self, lat: float, lon: float) -> tuple[tuple[frozenset[str], float], ...]:
        """Vendors grouped by distance ring, each ring with its ranking boost (nearest ring first)."""
        return self._position(lat, lon).rings

    def by_distance(self, lat: float, lon: float, among: frozenset[str] | None) -> list[tuple[str, float]]:
        ordered = self._position(lat, lon).ordered
        return ordered if among is None else [p for p in ordered if p[0] in among]


class _Position:
    """What one shopper position needs: distances, the ranking rings, the shops nearest first."""

    def __init__(self, km: dict[str, float]):
        self.km = km
        rings: list[set[str]] = [set() for _ in ranking.DISTANCE_RINGS]
        for vendor_id, d in km.items():
            for i, (radius, _boost) in enumerate(ranking.DISTANCE_RINGS):
                if d <= radius:
                    rings[i].add(vendor_id)
                    break
        self.rings = tuple(
            (frozenset(r), b) for r, (_radius, b) in zip(rings, ranking.DISTANCE_RINGS, strict=True) if r
        )
        self.ordered = sorted(km.items(), key=lambda p: (p[1], p[0]))


def _distances(points: list[tuple[str, float, float, float]], lat: float, lon: float) -> dict[str, float]:
    """Haversine distances in one pass (the same formula as :func:`search.domain.vendors.haversine_km`)."""
    p1, l1 = math.radians(lat), math.radians(lon)
    cos_p1, sin, asin, sqrt = math.cos(p1), math.sin, math.asin, math.sqrt
    out = {}
    for vendor_id, p2, l2, cos_p2 in points:
        a = sin((p2 - p1) / 2) ** 2 + cos_p1 * cos_p2 * sin((l2 - l1) / 2) ** 2
        out[vendor_id] = 2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(a)))
    return out
