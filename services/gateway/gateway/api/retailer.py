"""Endpoints for a retailer's systems: a key bound to one vendor acts only under /v1/vendors/<its vendor>/."""

from __future__ import annotations

from flask import Blueprint

from marktplatz_shared.errors import PlatformError

from ..domain.authorization import Audience
from .errors import from_platform_error
from .operations import operation
from .remote import call
from .schemas import (
    BulkImportSchema,
    BulkResultSchema,
    PageQuery,
    ProductInputSchema,
    ProductPageSchema,
    RetailerProductSchema,
    StockBatchSchema,
    StockResultSchema,
    TransitionSchema,
    VendorOrderPageSchema,
    VendorOrderSchema,
    VendorOrdersQuery,
    WebhookOutSchema,
    WebhookSchema,
    WebhookSecretSchema,
)

bp = Blueprint("retailer", __name__)
RETAILER = Audience.RETAILER
TAGS = ["retailer"]


@bp.get("/v1/vendors/<vendor_id>/products")
@operation(
    "The vendor's products with stock",
    audience=RETAILER,
    tags=TAGS,
    query=PageQuery,
    response=ProductPageSchema,
    not_found=True,
)
def list_products(vendor_id, query):
    return call("catalog", "list_products", vendor_id, cursor=query.get("cursor"), limit=query["limit"])


@bp.put("/v1/vendors/<vendor_id>/products/<sku>")
@operation(
    "Create or update a product",
    audience=RETAILER,
    tags=TAGS,
    body=ProductInputSchema,
    response=RetailerProductSchema,
    not_found=True,
    conflict=True,
)
def upsert_product(vendor_id, sku, body):
    return call("catalog", "upsert_product", dict(body, vendor_id=vendor_id, sku=sku))


@bp.delete("/v1/vendors/<vendor_id>/products/<sku>")
@operation(
    "Withdraw a product (no longer found or sold)",
    audience=RETAILER,
    tags=TAGS,
    response=RetailerProductSchema,
    not_found=True,
    conflict=True,
)
def withdraw_product(vendor_id, sku):
    return call("catalog", "withdraw_product", vendor_id, sku)


@bp.post("/v1/vendors/<vendor_id>/products/bulk")
@operation(
    "Import many products at once",
    audience=RETAILER,
    tags=TAGS,
    body=BulkImportSchema,
    response=BulkResultSchema,
    not_found=True,
    description="Each product is upserted on its own; the answer lists the ones that failed and why.",
)
def bulk_import(vendor_id, body):
    upserted, failed = 0, []
    for index, product in enumerate(body["products"]):
        try:
            call("catalog", "upsert_product", dict(product, vendor_id=vendor_id))
            upserted += 1
        except PlatformError as exc:
            error = from_platform_error(exc)
            if error.status in (404, 503, 500):
                raise  # the vendor is unknown or the catalog is down: no point going on
            failed.append(
                {
                    "index": index,
                    "sku": product["sku"],
                    "code": error.code,
                    "message": error.message,
                    "field_errors": error.fields,
                }
            )
    return {"upserted": upserted, "failed": failed}


@bp.post("/v1/vendors/<vendor_id>/stock")
@operation(
    "Push stock: absolute counts (report) or deltas (adjust), each line with the POS's sequence number",
    audience=RETAILER,
    tags=TAGS,
    body=StockBatchSchema,
    response=StockResultSchema,
    not_found=True,
    description="The same semantics as the AMQP path (stock_reported / stock_adjusted): a line whose sequence "
    "is not newer than the last one applied for its sku is stale and ignored.",
)
def push_stock(vendor_id, body):
    if body["mode"] == "report":
        lines = [{"sku": x["sku"], "quantity": x["quantity"], "sequence": x["sequence"]} for x in body["lines"]]
    else:
        lines = [
            {"sku": x["sku"], "delta": x["delta"], "sequence": x["sequence"], "reason": x.get("reason", "correction")}
            for x in body["lines"]
        ]
    return call("catalog", "apply_stock_batch", vendor_id, body["mode"], lines)


@bp.get("/v1/vendors/<vendor_id>/orders")
@operation("The vendor's orders", audience=RETAILER, tags=TAGS, query=VendorOrdersQuery, response=VendorOrderPageSchema)
def vendor_orders(vendor_id, query):
    return call(
        "orders",
        "list_vendor_orders",
        vendor_id,
        state=query.get("state"),
        cursor=query.get("cursor"),
        limit=query["limit"],
    )


@bp.post("/v1/vendors/<vendor_id>/orders/<vendor_order_id>/transitions")
@operation(
    "Move an order on: accept, ready, collect, deliver or cancel",
    audience=RETAILER,
    tags=TAGS,
    body=TransitionSchema,
    response=VendorOrderSchema,
    not_found=True,
    conflict=True,
    description="409 names the current state when the action does not apply to it.",
)
def transition(vendor_id, vendor_order_id, body):
    return call("orders", "transition", vendor_id, vendor_order_id, body["action"], body.get("reason"))


@bp.get("/v1/vendors/<vendor_id>/webhook")
@operation("Where order webhooks go", audience=RETAILER, tags=TAGS, response=WebhookOutSchema, not_found=True)
def get_webhook(vendor_id):
    return {"webhook_url": call("catalog", "get_vendor", vendor_id).get("webhook_url")}


@bp.put("/v1/vendors/<vendor_id>/webhook")
@operation(
    "Set (or clear with null) the webhook URL",
    audience=RETAILER,
    tags=TAGS,
    body=WebhookSchema,
    response=WebhookOutSchema,
    not_found=True,
)
def set_webhook(vendor_id, body):
    vendor = call("catalog", "update_vendor", vendor_id, {"webhook_url": body["webhook_url"]})
    return {"webhook_url": vendor.get("webhook_url")}


@bp.post("/v1/vendors/<vendor_id>/webhook/secret")
@operation(
    "A new webhook signing secret (shown once; the old one stops working)",
    audience=RETAILER,
    tags=TAGS,
    response=WebhookSecretSchema,
    status=201,
    not_found=True,
)
def rotate_webhook_secret(vendor_id):
    return call("notifications", "rotate_webhook_secret", vendor_id)
