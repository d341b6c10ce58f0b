"""Use cases of the shopper: search and suggest, over any backend."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from .domain import analysis
from .domain.products import ProductDoc, category_paths
from .domain.query import Filters, SearchPlan, SearchRequest, build_text_plan
from .domain.synonyms import BUILT_IN_SYNONYMS, Synonyms
from .ports import BackendResult, SearchBackend
from .vendor_directory import VendorDirectory

MAX_SUGGESTIONS = 20
DISTANCE_GROUP = 8  # shops counted at once when sorting by distance (the group doubles while the page needs more)


def plan_for(
    request: SearchRequest,
    backend: SearchBackend,
    vendors: VendorDirectory,
    now: datetime,
    synonyms: Synonyms = BUILT_IN_SYNONYMS,
) -> SearchPlan:
    groups, minimum, gtin, phrase = build_text_plan(request.q, backend, synonyms)
    return SearchPlan(
        groups=groups,
        minimum_match=minimum,
        gtin=gtin,
        phrase=phrase,
        filters=Filters(
            category=request.category,
            vendor_ids=vendors.allowed(request, now),
            in_stock=request.in_stock,
            price_min=request.price_min,
            price_max=request.price_max,
        ),
        # a distance sort orders by the shops' distances, not by rings (see _by_distance): none are made for it
        vendor_boosts=(
            vendors.distance_rings(request.lat, request.lon)
            if request.has_position and request.sort != "distance"
            else ()
        ),
        sort=request.sort,
        offset=request.offset,
        limit=request.per_page,
        facets=request.facets,
    )


def search(
    raw_query: Any,
    backend: SearchBackend,
    vendors: VendorDirectory,
    now: datetime | None = None,
    synonyms: Synonyms = BUILT_IN_SYNONYMS,
) -> dict[str, Any]:
    """Answer a ``search(query)`` RPC. Raises InvalidInput for a bad query; an empty query matches nothing."""
    request = SearchRequest.parse(raw_query)
    now = now or datetime.now(UTC)
    if not request.q and not (request.category or request.vendor_id):
        return _empty(request)
    plan = plan_for(request, backend, vendors, now, synonyms)
    if request.q and plan.matches_everything:
        return _empty(request)  # only stop words or punctuation: nothing to look for
    if plan.filters.vendor_ids is not None and not plan.filters.vendor_ids:
        return _empty(request)
    result = _run(plan, request, backend, vendors)
    if result.total == 0 and plan.groups and plan.minimum_match > 1:
        plan = replace(plan, minimum_match=1)  # relax a long query
        result = _run(plan, request, backend, vendors)
    broadened = result.total == 0 and (wider := plan.broadened()) is not None
    if broadened:
        result = _run(wider, request, backend, vendors)  # nothing at all: let compound parts stand in
    return {
        "total": result.total,
        "broadened": broadened,
        "page": request.page,
        "per_page": request.per_page,
        "hits": [_hit(doc, score, request, vendors) for doc, score in result.hits],
        "facets": _facets(result, request, vendors) if request.facets else {},
    }


def _run(plan: SearchPlan, request: SearchRequest, backend: SearchBackend, vendors: VendorDirectory) -> BackendResult:
    if plan.sort == "distance":
        return _by_distance(plan, request, backend, vendors)
    return backend.execute(plan)


def _by_distance(
    plan: SearchPlan, request: SearchRequest, backend: SearchBackend, vendors: VendorDirectory
) -> BackendResult:
    """Nearest shop first, by relevance within a shop: walk the shops by distance, fetch only the page.

    The shops are counted in widening groups, nearest first, until the page is covered, so a first page
    usually counts a handful of shops instead of all. The shops whose every match is on the page come with
    one query; a shop cut by the page's start or end gets a query of its own. Within one shop the distance
    rings add the same to every offer, so the queries leave them out.
    """
    plain = replace(plan, vendor_boosts=(), sort="relevance")
    if plan.facets:
        overall = backend.execute(replace(plain, limit=1, offset=0))  # the total and the facets
        total, facets = (lambda: overall.total), overall.facets
    else:
        total, facets = backend.start_count(plain), {}  # counted beside the walk below
    nearest = (v for v, _d in vendors.nearest(request.lat, request.lon, plan.filters.vendor_ids))
    slices = _page_of_shops(plain, nearest, backend)
    whole = [vendor_id for vendor_id, skip, take, count in slices if skip == 0 and take == count]
    by_shop: dict[str, list[tuple[ProductDoc, float]]] = {v: [] for v in whole}
    if whole:
        limit = sum(take for vendor_id, _skip, take, _count in slices if vendor_id in by_shop)
        for doc, score in backend.execute(_in_shops(plain, whole, 0, limit)).hits:
            by_shop[doc.vendor_id].append((doc, score))  # in score order, as a query of that shop alone
    hits: list[tuple[ProductDoc, float]] = []
    for vendor_id, skip, take, _count in slices:
        hits.extend(
            by_shop[vendor_id]
            if vendor_id in by_shop
            else backend.execute(_in_shops(plain, [vendor_id], skip, take)).hits
        )
    return BackendResult(total=total(), hits=hits, facets=facets)


def _page_of_shops(plan: SearchPlan, nearest: Iterator[str], backend: SearchBackend) -> list[tuple[str, int, int, int]]:
    """(shop, matches to skip, matches to take, its matches) for the shops the page needs, nearest first."""
    slices: list[tuple[str, int, int, int]] = []
    skip, need, size = plan.offset, plan.limit, DISTANCE_GROUP
    while need > 0 and (group := list(itertools.islice(nearest, size))):
        size *= 2
        counts = backend.vendor_counts(replace(plan, filters=replace(plan.filters, vendor_ids=frozenset(group))))
        for vendor_id in group:
            count = counts.get(vendor_id, 0)
            if need <= 0:
                break
            if skip >= count:
                skip -= count
                continue
            take = min(need, count - skip)
            slices.append((vendor_id, skip, take, count))
            need -= take
            skip = 0
    return slices


def _in_shops(plan: SearchPlan, vendor_ids: list[str], offset: int, limit: int) -> SearchPlan:
    return replace(
        plan, filters=replace(plan.filters, vendor_ids=frozenset(vendor_ids)), offset=offset, limit=limit, facets=False
    )


def _hit(doc: ProductDoc, score: float, request: SearchRequest, vendors: VendorDirectory) -> dict[str, Any]:
    vendor = vendors.get(doc.vendor_id)
    distance = None
    if vendor is not None and request.has_position:
        distance = round(vendor.distance_km(request.lat, request.lon), 3)
    return {
        "id": doc.id,
        "vendor_id": doc.vendor_id,
        "vendor_name": vendor.name if vendor else None,
        "sku": doc.sku,
        "gtin": doc.gtin,
        "title": doc.title,
        "brand": doc.brand,
        "category": doc.category,
        "description": doc.description,
        "attributes": doc.attributes,
        "price": doc.price,
        "currency": "EUR",
        "available": doc.available,
        "in_stock": doc.available > 0,
        "distance_km": distance,
        "fulfilment": list(vendor.fulfilment) if vendor else [],
        "score": round(score, 4),
    }


def _facets(result: BackendResult, request: SearchRequest, vendors: VendorDirectory) -> dict[str, Any]:
    raw = result.facets
    if not raw:
        return {}
    depth = len(category_paths(request.category)) if request.category else 0
    categories = [
        {"value": path, "count": n} for path, n in raw["category"].items() if len(category_paths(path)) == depth + 1
    ]
    categories.sort(key=lambda c: (-c["count"], c["value"]))
    return {
        "category": categories,
        "vendor": [
            {"value": v, "name": shop.name if (shop := vendors.get(v)) else None, "count": n}
            for v, n in sorted(raw["vendor"].items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "price": [{"from": lo, "to": hi, "count": n} for lo, hi, n in raw["price"]],
        "in_stock": raw["in_stock"],
    }


def _empty(request: SearchRequest) -> dict[str, Any]:
    return {
        "total": 0,
        "broadened": False,
        "page": request.page,
        "per_page": request.per_page,
        "hits": [],
        "facets": {},
    }


def suggest(prefix: Any, limit: Any, backend: SearchBackend) -> dict[str, list[str]]:
    """Titles that start with what the shopper typed so far (every word but the last complete)."""
    from marktplatz_shared.errors import InvalidInput

    if not isinstance(prefix, str) or len(prefix) > 100:
        raise InvalidInput("prefix must be a string of at most 100 characters", {"prefix": ["invalid"]})
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_SUGGESTIONS:
        raise InvalidInput(f"limit must be 1..{MAX_SUGGESTIONS}", {"limit": ["invalid"]})
    typed = analysis.words(prefix)
    if not typed:
        return {"suggestions": []}
    return {"suggestions": backend.suggest(typed[:-1][:5], typed[-1][:20], limit)}
