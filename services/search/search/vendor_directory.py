"""The shops search knows, in memory: vendor-level filters (distance, open now, fulfilment) become vendor sets."""

from __future__ import annotations

from datetime import datetime

from .domain import ranking
from .domain.query import SearchRequest
from .domain.vendors import Vendor


class VendorDirectory:
    def __init__(self, vendors: list[Vendor] | None = None):
        self._vendors: dict[str, Vendor] = {v.vendor_id: v for v in vendors or []}

    def put(self, vendor: Vendor) -> None:
        self._vendors = {**self._vendors, vendor.vendor_id: vendor}

    def replace_all(self, vendors: list[Vendor]) -> None:
        self._vendors = {v.vendor_id: v for v in vendors}

    def get(self, vendor_id: str) -> Vendor | None:
        return self._vendors.get(vendor_id)

    def __len__(self) -> int:
        return len(self._vendors)

    def allowed(self, request: SearchRequest, now: datetime) -> frozenset[str] | None:
        """The vendors that pass the request's vendor-level filters, or None when it has none."""
        if not (request.vendor_id or request.max_km is not None or request.fulfilment or request.open_now):
            return None
        vendors = self._vendors.values()
        if request.vendor_id:
            vendors = [v for v in vendors if v.vendor_id == request.vendor_id]
        if request.fulfilment:
            vendors = [v for v in vendors if request.fulfilment in v.fulfilment]
        if request.open_now:
            vendors = [v for v in vendors if v.is_open(now)]
        if request.max_km is not None:
            vendors = [v for v in vendors if v.distance_km(request.lat, request.lon) <= request.max_km]
        return frozenset(v.vendor_id for v in vendors)

    def distance_rings(self, lat: float, lon: float) -> tuple[tuple[frozenset[str], float], ...]:
        """Vendors grouped by distance ring, each ring with its ranking boost (nearest ring first)."""
        rings: list[set[str]] = [set() for _ in ranking.DISTANCE_RINGS]
        for v in self._vendors.values():
            d = v.distance_km(lat, lon)
            for i, (radius, _boost) in enumerate(ranking.DISTANCE_RINGS):
                if d <= radius:
                    rings[i].add(v.vendor_id)
                    break
        return tuple((frozenset(r), b) for r, (_radius, b) in zip(rings, ranking.DISTANCE_RINGS, strict=True) if r)

    def by_distance(self, lat: float, lon: float, among: frozenset[str] | None) -> list[tuple[str, float]]:
        pairs = [
            (v.vendor_id, v.distance_km(lat, lon))
            for v in self._vendors.values()
            if among is None or v.vendor_id in among
        ]
        return sorted(pairs, key=lambda p: (p[1], p[0]))
