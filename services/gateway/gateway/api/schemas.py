"""Request and response schemas of the HTTP API (marshmallow 4). Requests are validated with them and the
OpenAPI document is generated from them; responses are shaped by them, so no internal field leaks out.

Field rules for what crosses into the platform are the kernel's (``marktplatz_shared.events.contracts``).
"""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validates_schema
from marshmallow.validate import Length, OneOf, Range, Regexp

from marktplatz_shared.events.contracts import (
    DECIMAL_STRING,
    FULFILMENT,
    LANGUAGES,
    SKU,
    TIME_OF_DAY,
    VENDOR_ID,
    WEEKDAYS,
)

SORTS = ("relevance", "distance", "price_asc", "price_desc")
ACTIONS = ("accept", "ready", "collect", "deliver", "cancel")
ORDER_STATES = ("placed", "accepted", "ready", "collected", "delivered", "cancelled", "expired")
SERVICES = ("catalog", "search", "orders", "notifications")
GTIN = Regexp(r"^\d{13}$", error="must be 13 digits")


def Str(**kwargs):  # noqa: N802 - a response field: present or null
    return fields.String(allow_none=True, **kwargs)


def Int(**kwargs):  # noqa: N802
    return fields.Integer(allow_none=True, **kwargs)


def Num(**kwargs):  # noqa: N802
    return fields.Float(allow_none=True, **kwargs)


# --- errors -------------------------------------------------------------------------------------------


class ErrorSchema(Schema):
    code = fields.String(required=True, metadata={"example": "not_found"})
    message = fields.String(required=True)
    field_errors = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()), required=True, data_key="fields"
    )
    details = fields.Dict(metadata={"description": "what the conflict is about, e.g. shortages"})


# --- shopper: search ----------------------------------------------------------------------------------


class SearchQuery(Schema):
    q = fields.String(load_default="", validate=Length(max=200))
    lat = fields.Float(validate=Range(min=-90, max=90))
    lon = fields.Float(validate=Range(min=-180, max=180))
    max_km = fields.Float(validate=Range(min=0, max=500))
    category = fields.String(validate=Length(min=1, max=300))
    vendor_id = fields.String(validate=VENDOR_ID)
    in_stock = fields.Boolean()
    price_min = fields.String(validate=DECIMAL_STRING)
    price_max = fields.String(validate=DECIMAL_STRING)
    fulfilment = fields.String(validate=OneOf(FULFILMENT))
    open_now = fields.Boolean()
    sort = fields.String(load_default="relevance", validate=OneOf(SORTS))
    page = fields.Integer(load_default=1, validate=Range(min=1, max=1000))
    per_page = fields.Integer(load_default=20, validate=Range(min=1, max=100))

    @validates_schema
    def _needs_a_place(self, data, **kwargs):
        if ("lat" in data) != ("lon" in data):
            raise ValidationError("lat and lon go together", "lat")
        if "lat" not in data and (data.get("sort") == "distance" or "max_km" in data):
            raise ValidationError("sorting or filtering by distance needs lat and lon", "lat")


class SearchHitSchema(Schema):
    id = Str()
    vendor_id = Str()
    vendor_name = Str()
    sku = Str()
    gtin = Str()
    title = Str()
    brand = Str()
    category = Str()
    price = Str()
    available = Int()
    distance_km = Num()
    fulfilment = fields.List(fields.String(), allow_none=True)
    open_now = fields.Boolean(allow_none=True)


class SearchResultSchema(Schema):
    total = fields.Integer()
    broadened = fields.Boolean(
        metadata={
            "description": "true when nothing matched the words as typed and the hits are offers "
            'matching one part of a compound word ("blumenstrauß" finding offers under "Blumen")'
        }
    )
    page = fields.Integer()
    per_page = fields.Integer()
    hits = fields.List(fields.Nested(SearchHitSchema))
    facets = fields.Dict(metadata={"description": "counts per category, vendor, fulfilment, price range..."})


class SuggestQuery(Schema):
    prefix = fields.String(required=True, validate=Length(min=1, max=100))
    limit = fields.Integer(load_default=10, validate=Range(min=1, max=20))


class SuggestResultSchema(Schema):
    suggestions = fields.List(fields.String())


# --- vendors ------------------------------------------------------------------------------------------


class PageQuery(Schema):
    cursor = fields.String(validate=Length(min=1, max=200))
    limit = fields.Integer(load_default=50, validate=Range(min=1, max=100))


class VendorPublicSchema(Schema):
    vendor_id = Str()
    name = Str()
    kind = Str()
    street = Str()
    postcode = Str()
    city = Str()
    lat = Num()
    lon = Num()
    timezone = Str()
    opening_hours = fields.Dict(keys=fields.String(), values=fields.List(fields.List(fields.String())), allow_none=True)
    fulfilment = fields.List(fields.String(), allow_none=True)
    open_now = fields.Boolean()


class VendorPrivateSchema(VendorPublicSchema):
    contact_email = Str()
    webhook_url = Str()


class VendorPageSchema(Schema):
    vendors = fields.List(fields.Nested(VendorPublicSchema))
    next_cursor = Str()


def _opening_hours(**kwargs):
    return fields.Dict(
        keys=fields.String(validate=OneOf(WEEKDAYS)),
        values=fields.List(fields.List(fields.String(validate=TIME_OF_DAY), validate=Length(equal=2))),
        **kwargs,
    )


class VendorRegistrationSchema(Schema):
    vendor_id = fields.String(required=True, validate=VENDOR_ID)
    name = fields.String(required=True, validate=Length(min=1, max=200))
    kind = fields.String(validate=Length(max=100))
    street = fields.String(required=True, validate=Length(max=200))
    postcode = fields.String(required=True, validate=Length(max=20))
    city = fields.String(required=True, validate=Length(max=100))
    lat = fields.Float(required=True, validate=Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=Range(min=-180, max=180))
    timezone = fields.String(validate=Length(min=1, max=64))
    opening_hours = _opening_hours()
    fulfilment = fields.List(fields.String(validate=OneOf(FULFILMENT)), required=True, validate=Length(min=1))
    contact_email = fields.Email(allow_none=True)
    webhook_url = fields.Url(allow_none=True, require_tld=False)


class VendorChangesSchema(Schema):
    name = fields.String(validate=Length(min=1, max=200))
    kind = fields.String(validate=Length(max=100))
    street = fields.String(validate=Length(max=200))
    postcode = fields.String(validate=Length(max=20))
    city = fields.String(validate=Length(max=100))
    lat = fields.Float(validate=Range(min=-90, max=90))
    lon = fields.Float(validate=Range(min=-180, max=180))
    timezone = fields.String(validate=Length(min=1, max=64))
    opening_hours = _opening_hours()
    fulfilment = fields.List(fields.String(validate=OneOf(FULFILMENT)), validate=Length(min=1))
    contact_email = fields.Email(allow_none=True)
    webhook_url = fields.Url(allow_none=True, require_tld=False)

    @validates_schema
    def _not_empty(self, data, **kwargs):
        if not data:
            raise ValidationError("give at least one field to change", "_schema")


# --- products -----------------------------------------------------------------------------------------


class ProductSchema(Schema):
    vendor_id = Str()
    sku = Str()
    gtin = Str()
    title = Str()
    description = Str()
    brand = Str()
    category = Str()
    price = Str()
    currency = Str()
    attributes = fields.Dict(keys=fields.String(), values=fields.String(), allow_none=True)
    published = fields.Boolean(allow_none=True)
    available = Int()


class OfferSchema(Schema):
    vendor_id = Str()
    vendor_name = Str()
    sku = Str()
    price = Str()
    available = Int()
    distance_km = Num()


class ProductDetailSchema(ProductSchema):
    vendor = fields.Nested(VendorPublicSchema, allow_none=True)
    offers = fields.List(
        fields.Nested(OfferSchema),
        metadata={"description": "availability of the same product (same GTIN) in every shop that lists it"},
    )


class RetailerProductSchema(ProductSchema):
    on_hand = Int()
    reserved = Int()


class ProductPageSchema(Schema):
    products = fields.List(fields.Nested(RetailerProductSchema))
    next_cursor = Str()


class ProductInputSchema(Schema):
    gtin = fields.String(required=True, validate=GTIN)
    title = fields.String(required=True, validate=Length(min=1, max=300))
    description = fields.String(validate=Length(max=20000))
    brand = fields.String(validate=Length(max=200))
    category = fields.String(required=True, validate=Length(min=1, max=300))
    price = fields.String(required=True, validate=DECIMAL_STRING)
    currency = fields.String(validate=OneOf(["EUR"]))
    attributes = fields.Dict(
        keys=fields.String(validate=Length(max=100)), values=fields.String(validate=Length(max=1000))
    )
    published = fields.Boolean()


class BulkProductSchema(ProductInputSchema):
    sku = fields.String(required=True, validate=SKU)


class BulkImportSchema(Schema):
    products = fields.List(fields.Nested(BulkProductSchema), required=True, validate=Length(min=1, max=1000))


class BulkFailureSchema(Schema):
    index = fields.Integer()
    sku = fields.String()
    code = fields.String()
    message = fields.String()
    field_errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), data_key="fields")


class BulkResultSchema(Schema):
    upserted = fields.Integer()
    failed = fields.List(fields.Nested(BulkFailureSchema))


# --- stock --------------------------------------------------------------------------------------------


class StockLineSchema(Schema):
    sku = fields.String(required=True, validate=SKU)
    sequence = fields.Integer(required=True, validate=Range(min=0), metadata={"description": "the POS's own counter"})
    quantity = fields.Integer(validate=Range(min=0), metadata={"description": "absolute count (mode report)"})
    delta = fields.Integer(metadata={"description": "change (mode adjust)"})
    reason = fields.String(validate=OneOf(["sale", "return", "delivery", "correction"]))


class StockBatchSchema(Schema):
    mode = fields.String(
        required=True,
        validate=OneOf(["report", "adjust"]),
        metadata={"description": "report: absolute counts (stock take, full feed); adjust: deltas"},
    )
    lines = fields.List(fields.Nested(StockLineSchema), required=True, validate=Length(min=1, max=5000))

    @validates_schema
    def _lines_fit_the_mode(self, data, **kwargs):
        errors = {}
        for index, line in enumerate(data.get("lines", [])):
            if data.get("mode") == "report" and ("quantity" not in line or "delta" in line or "reason" in line):
                errors[str(index)] = ["a report line has quantity (and no delta or reason)"]
            if data.get("mode") == "adjust" and ("delta" not in line or "quantity" in line):
                errors[str(index)] = ["an adjust line has delta (and no quantity)"]
        if errors:
            raise ValidationError({"lines": errors})


class StockResultSchema(Schema):
    applied = fields.Raw(metadata={"description": "lines applied"})
    stale = fields.Raw(metadata={"description": "lines older than what the catalog has (by sequence)"})
    unknown_skus = fields.List(fields.String())
    changed = fields.Raw(metadata={"description": "lines whose availability changed"})


# --- orders -------------------------------------------------------------------------------------------


class ShopperSchema(Schema):
    name = fields.String(required=True, validate=Length(min=1, max=200))
    email = fields.Email(required=True)
    phone = fields.String(allow_none=True, validate=Length(max=50))
    language = fields.String(validate=OneOf(LANGUAGES))


class AddressSchema(Schema):
    street = fields.String(required=True, validate=Length(min=1, max=200))
    postcode = fields.String(required=True, validate=Length(min=1, max=20))
    city = fields.String(required=True, validate=Length(min=1, max=100))
    note = fields.String(validate=Length(max=500))


class FulfilmentChoiceSchema(Schema):
    method = fields.String(required=True, validate=OneOf(FULFILMENT))
    address = fields.Nested(AddressSchema, allow_none=True)

    @validates_schema
    def _delivery_needs_address(self, data, **kwargs):
        if data.get("method") == "delivery" and not data.get("address"):
            raise ValidationError("delivery needs an address", "address")


class CheckoutLineSchema(Schema):
    vendor_id = fields.String(required=True, validate=VENDOR_ID)
    sku = fields.String(required=True, validate=SKU)
    quantity = fields.Integer(required=True, validate=Range(min=1, max=999))


class CheckoutSchema(Schema):
    shopper = fields.Nested(ShopperSchema, required=True)
    lines = fields.List(fields.Nested(CheckoutLineSchema), required=True, validate=Length(min=1, max=100))
    fulfilment = fields.Dict(
        keys=fields.String(validate=VENDOR_ID),
        values=fields.Nested(FulfilmentChoiceSchema),
        required=True,
        metadata={"description": "per vendor in the lines: pickup, or delivery with an address"},
    )

    @validates_schema
    def _every_vendor_has_a_fulfilment(self, data, **kwargs):
        vendors = {line["vendor_id"] for line in data.get("lines", [])}
        missing = sorted(vendors - set(data.get("fulfilment", {})))
        if missing:
            raise ValidationError(f"choose pickup or delivery for {', '.join(missing)}", "fulfilment")


class OrderLineSchema(Schema):
    vendor_id = Str()
    sku = Str()
    title = Str()
    quantity = Int()
    unit_price = Str()


class FulfilmentOutSchema(Schema):
    method = Str()
    address = fields.Dict(allow_none=True)


class VendorOrderSchema(Schema):
    order_id = Str()
    vendor_order_id = Str()
    vendor_id = Str()
    vendor_name = Str()
    state = Str()
    fulfilment = fields.Nested(FulfilmentOutSchema, allow_none=True)
    pickup_code = Str()
    lines = fields.List(fields.Nested(OrderLineSchema), allow_none=True)
    total = Str()
    created_at = Str()
    updated_at = Str()
    shopper = fields.Nested(ShopperSchema, allow_none=True)


class OrderSchema(Schema):
    order_id = Str()
    order_token = Str()
    state = Str()
    total = Str()
    created_at = Str()
    shopper = fields.Nested(ShopperSchema, allow_none=True)
    vendor_orders = fields.List(fields.Nested(VendorOrderSchema))


class CancelSchema(Schema):
    vendor_order_id = fields.String(validate=Length(min=1, max=64), metadata={"description": "only this part"})


class VendorOrdersQuery(PageQuery):
    state = fields.String(validate=OneOf(ORDER_STATES))


class VendorOrderPageSchema(Schema):
    orders = fields.List(fields.Nested(VendorOrderSchema))
    next_cursor = Str()


class TransitionSchema(Schema):
    action = fields.String(required=True, validate=OneOf(ACTIONS))
    reason = fields.String(validate=Length(min=1, max=500))


# --- webhooks -----------------------------------------------------------------------------------------


class WebhookSchema(Schema):
    webhook_url = fields.Url(required=True, allow_none=True, require_tld=False, schemes={"https", "http"})


class WebhookOutSchema(Schema):
    webhook_url = Str()


class WebhookSecretSchema(Schema):
    secret = fields.String(metadata={"description": "shown once: sign-check webhook bodies with it"})


# --- operator -----------------------------------------------------------------------------------------


class KeySchema(Schema):
    key_id = fields.String()
    role = fields.String()
    vendor_id = Str()
    label = fields.String()
    created_at = fields.String()
    revoked_at = Str()
    replaced_by = Str()


class IssueKeySchema(Schema):
    label = fields.String(validate=Length(max=200))


class IssuedKeySchema(Schema):
    key = fields.Nested(KeySchema)
    api_key = fields.String(metadata={"description": "the key itself: shown once, stored only as a hash"})


class KeyListSchema(Schema):
    keys = fields.List(fields.Nested(KeySchema))


class DeadLetterQuery(Schema):
    service = fields.String(required=True, validate=OneOf(SERVICES))
    limit = fields.Integer(load_default=100, validate=Range(min=1, max=1000))


class DeadLetterSchema(Schema):
    message_id = fields.String()
    reason = fields.String()
    error = fields.String()
    queue = fields.String()
    handler = fields.String()
    attempts = fields.Integer()
    dead_lettered_at = fields.String()
    routing_key = fields.String()
    body = fields.String()


class DeadLetterListSchema(Schema):
    service = fields.String()
    dead_letters = fields.List(fields.Nested(DeadLetterSchema))


class ReplaySchema(Schema):
    message_id = fields.String(validate=Length(min=1, max=200), metadata={"description": "omit to replay all"})


class ReplayResultSchema(Schema):
    replayed = fields.Integer()


class AnalyticsQuery(Schema):
    since = fields.AwareDateTime(metadata={"description": "default: 7 days ago"})
    until = fields.AwareDateTime(metadata={"description": "default: now"})
    limit = fields.Integer(load_default=20, validate=Range(min=1, max=100))


class AnalyticsSchema(Schema):
    since = fields.String()
    until = fields.String()
    count = fields.Raw()
    top_queries = fields.List(fields.Raw())
    top_zero_result_queries = fields.List(fields.Raw())
    latency_ms = fields.Dict(allow_none=True)


class ShopFreshnessSchema(Schema):
    vendor_id = fields.String(required=True)
    name = fields.String(required=True)
    last_pos_update = fields.String(allow_none=True, metadata={"description": "ISO time, null if never"})


class StockFreshnessSchema(Schema):
    vendors = fields.List(fields.Nested(ShopFreshnessSchema), required=True)


class StatsSchema(Schema):
    services = fields.Dict(keys=fields.String(), values=fields.String())
    search = fields.Dict(allow_none=True)
    api_keys = fields.Dict(keys=fields.String(), values=fields.Integer())
