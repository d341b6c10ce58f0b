"""The shop directory's distance sets against the plain haversine formula, shop by shop."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from search.domain import ranking
from search.domain.query import SearchRequest
from search.domain.vendors import Vendor, haversine_km
from search.vendor_directory import VendorDirectory


def _town(n: int, seed: int = 7) -> list[Vendor]:
    rng = random.Random(seed)
    shops = [Vendor(f"s{i:03d}", f"Laden {i}", 50.4 + rng.random() * 0.2, 9.4 + rng.random() * 0.2) for i in range(n)]
    return shops + [Vendor("twin", "Zwilling", shops[0].lat, shops[0].lon)]  # as far as s000 from everywhere


def test_within_rings_and_nearest_first_agree_with_haversine_for_every_shop():
    shops = _town(300)
    directory = VendorDirectory(shops)
    rng = random.Random(3)
    for _ in range(20):
        lat, lon = 50.4 + rng.random() * 0.2, 9.4 + rng.random() * 0.2
        km = {v.vendor_id: haversine_km(lat, lon, v.lat, v.lon) for v in shops}
        for max_km in (0.5, 2.0, 5.0, 30.0):
            request = SearchRequest.parse({"q": "x", "lat": lat, "lon": lon, "max_km": max_km})
            assert directory.allowed(request, datetime.now(UTC)) == {v for v, d in km.items() if d <= max_km}
        rings, inner = [], 0.0
        for radius, boost in ranking.DISTANCE_RINGS:
            ring = frozenset(v for v, d in km.items() if inner < d <= radius)
            if ring:
                rings.append((ring, boost))
            inner = radius
        assert directory.distance_rings(lat, lon) == tuple(rings)
        ordered = list(directory.nearest(lat, lon, None))
        assert [v for v, _d in ordered] == sorted(km, key=lambda v: (km[v], v))  # as far: by id
        assert all(abs(d - km[v]) < 1e-9 for v, d in ordered)
        assert directory.distances(lat, lon) == dict(ordered)
        some = frozenset(rng.sample(sorted(km), 40))
        assert list(directory.nearest(lat, lon, some)) == [p for p in ordered if p[0] in some]


def test_a_changed_shop_moves_its_distances_and_an_empty_directory_allows_nothing():
    shops = _town(5)
    directory = VendorDirectory(shops)
    lat, lon = shops[1].lat, shops[1].lon
    near = SearchRequest.parse({"q": "x", "lat": lat, "lon": lon, "max_km": 0.01})
    assert directory.allowed(near, datetime.now(UTC)) == {"s001"}
    directory.put(Vendor("s002", "Laden 2", lat, lon))  # moves next door: the cached position must not hold
    assert directory.allowed(near, datetime.now(UTC)) == {"s001", "s002"}
    assert VendorDirectory([]).allowed(near, datetime.now(UTC)) == frozenset()
    assert VendorDirectory([]).distance_rings(lat, lon) == ()


def test_nearest_first_keeps_shops_as_far_together_across_its_sorting_bands():
    rng = random.Random(11)
    same_place = [Vendor(f"t{i:03d}", f"Passage {i}", 50.5, 9.5) for i in range(150)]  # the first band ends in them
    scattered = [Vendor(f"u{i:03d}", "Laden", 50.4 + rng.random() * 0.2, 9.4 + rng.random() * 0.2) for i in range(400)]
    directory = VendorDirectory(scattered + same_place)
    lat, lon = 50.5001, 9.5001
    km = {v.vendor_id: haversine_km(lat, lon, v.lat, v.lon) for v in scattered + same_place}
    walked = list(directory.nearest(lat, lon, None))
    assert [v for v, _d in walked] == sorted(km, key=lambda v: (km[v], v))
    some = frozenset(rng.sample(sorted(km), 100))
    assert list(directory.nearest(lat, lon, some)) == [p for p in walked if p[0] in some]
