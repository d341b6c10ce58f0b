"""Public endpoints for shoppers' frontends: search, suggest, products, vendors, checkout, order status."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint

from marktplatz_shared.errors import NotFound

from ..domain.authorization import Audience
from ..domain.opening_hours import is_open
from .operations import Header, operation
from .remote import call
from .schemas import (
    CancelSchema,
    CheckoutSchema,
    OrderSchema,
    PageQuery,
    ProductDetailSchema,
    SearchQuery,
    SearchResultSchema,
    SuggestQuery,
    SuggestResultSchema,
    VendorPageSchema,
    VendorPublicSchema,
)

bp = Blueprint("shopper", __name__)
PUBLIC = Audience.PUBLIC
ORDER_TOKEN = Header("X-Order-Token", "the order token returned by checkout", max_length=200)
IDEMPOTENCY_KEY = Header("Idempotency-Key", "one per checkout attempt: a retried request places no second order")
OFFERS_LIMIT = 50


def with_open_now(vendor: dict) -> dict:
    if "open_now" not in vendor:
        vendor = dict(vendor, open_now=is_open(vendor.get("opening_hours"), vendor.get("timezone"), datetime.now(UTC)))
    return vendor


@bp.get("/v1/search")
@operation(
    "Search local stock across every shop",
    audience=PUBLIC,
    tags=["shopper"],
    query=SearchQuery,
    response=SearchResultSchema,
    description="Every filter, sort and facet of the search service. Distance needs lat and lon.",
)
def search(query):
    result = call("search", "search", query)
    return dict(result, page=query["page"], per_page=query["per_page"])


@bp.get("/v1/suggest")
@operation(
    "Complete what a shopper is typing",
    audience=PUBLIC,
    tags=["shopper"],
    query=SuggestQuery,
    response=SuggestResultSchema,
)
def suggest(query):
    return call("search", "suggest", query["prefix"], limit=query["limit"])


@bp.get("/v1/products/<vendor_id>/<sku>")
@operation(
    "A product with its availability in every shop that lists it",
    audience=PUBLIC,
    tags=["shopper"],
    response=ProductDetailSchema,
    not_found=True,
)
def product_detail(vendor_id, sku):
    product = call("catalog", "get_product", vendor_id, sku)
    if not product.get("published", True):
        raise NotFound(f"no product {sku} at {vendor_id}")
    vendor = with_open_now(call("catalog", "get_vendor", vendor_id))
    offers = _offers_of_same_gtin(product, vendor)
    return dict(product, vendor=vendor, offers=offers)


def _offers_of_same_gtin(product: dict, vendor: dict) -> list[dict]:
    own = {
        "vendor_id": product["vendor_id"],
        "vendor_name": vendor.get("name"),
        "sku": product["sku"],
        "price": product.get("price"),
        "available": product.get("available"),
    }
    gtin = product.get("gtin")
    if not gtin:
        return [own]
    hits = call("search", "search", {"q": gtin, "per_page": OFFERS_LIMIT, "page": 1})["hits"]
    refs = [
        {"vendor_id": h["vendor_id"], "sku": h["sku"]}
        for h in hits
        if h.get("gtin") == gtin and (h["vendor_id"], h["sku"]) != (product["vendor_id"], product["sku"])
    ]
    names = {h["vendor_id"]: h.get("vendor_name") for h in hits}
    live = call("catalog", "get_offers", refs) if refs else []  # the index may lag: availability from catalog
    others = [
        {
            "vendor_id": p["vendor_id"],
            "vendor_name": names.get(p["vendor_id"]),
            "sku": p["sku"],
            "price": p.get("price"),
            "available": p.get("available"),
        }
        for p in live
        if p.get("published", True)
    ]
    return [own, *sorted(others, key=lambda o: (-(o["available"] or 0), o["vendor_id"]))]


@bp.get("/v1/vendors")
@operation("The shops of the region", audience=PUBLIC, tags=["shopper"], query=PageQuery, response=VendorPageSchema)
def vendors(query):
    page = call("catalog", "list_vendors", cursor=query.get("cursor"), limit=query["limit"])
    return dict(page, vendors=[with_open_now(v) for v in page["vendors"]])


@bp.get("/v1/vendors/<vendor_id>")
@operation(
    "A shop: address, opening hours, open now",
    audience=PUBLIC,
    tags=["shopper"],
    response=VendorPublicSchema,
    not_found=True,
)
def vendor(vendor_id):
    return with_open_now(call("catalog", "get_vendor", vendor_id))


@bp.post("/v1/checkout")
@operation(
    "Reserve and order: split per shop, pickup or delivery per shop",
    audience=PUBLIC,
    tags=["shopper"],
    body=CheckoutSchema,
    headers=[IDEMPOTENCY_KEY],
    response=OrderSchema,
    status=201,
    conflict=True,
    description="All or nothing: 409 with the shortages when a shop cannot cover a line. The response carries "
    "the order token that the shopper needs to see or cancel the order.",
)
def checkout(body, idempotency_key):
    return call("orders", "checkout", body, idempotency_key)


@bp.get("/v1/orders/<order_id>")
@operation(
    "An order's status (needs its order token)",
    audience=PUBLIC,
    tags=["shopper"],
    headers=[ORDER_TOKEN],
    response=OrderSchema,
    not_found=True,
)
def order_status(order_id, x_order_token):
    return call("orders", "get_order", order_id, x_order_token)


@bp.post("/v1/orders/<order_id>/cancel")
@operation(
    "Cancel an order, or one shop's part of it, as the shopper",
    audience=PUBLIC,
    tags=["shopper"],
    headers=[ORDER_TOKEN],
    body=CancelSchema,
    response=OrderSchema,
    not_found=True,
    conflict=True,
)
def cancel_order(order_id, x_order_token, body):
    return call("orders", "cancel_by_shopper", order_id, x_order_token, body.get("vendor_order_id"))
