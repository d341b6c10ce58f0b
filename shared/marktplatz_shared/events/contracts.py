"""The event catalogue: one marshmallow schema per (event type, schema version).

Each event type has exactly one producer. Consumers validate what they receive against these schemas,
so a producer cannot change a contract without the change showing up here.
"""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields
from marshmallow.validate import Length, OneOf, Range, Regexp

SKU = Length(min=1, max=64)
VENDOR_ID = Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", error="must be 1-64 letters, digits, '.', '_' or '-'")
DECIMAL_STRING = Regexp(r"^\d{1,9}(\.\d{1,2})?$", error="must be a decimal amount like 12.90")
TIME_OF_DAY = Regexp(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", error="must be HH:MM")
WEEKDAYS = ("mo", "tu", "we", "th", "fr", "sa", "su")
FULFILMENT = ("pickup", "delivery")
LANGUAGES = ("de", "en")


class Strict(Schema):
    class Meta:
        unknown = RAISE


# --- catalog ---------------------------------------------------------------------------------------------


class Interval(fields.List):
    def __init__(self, **kwargs):
        super().__init__(fields.String(validate=TIME_OF_DAY), validate=Length(equal=2), **kwargs)


class VendorData(Strict):
    vendor_id = fields.String(required=True, validate=VENDOR_ID)
    name = fields.String(required=True, validate=Length(min=1, max=200))
    kind = fields.String(load_default="", validate=Length(max=100))
    street = fields.String(required=True, validate=Length(max=200))
    postcode = fields.String(required=True, validate=Length(max=20))
    city = fields.String(required=True, validate=Length(max=100))
    lat = fields.Float(required=True, validate=Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=Range(min=-180, max=180))
    timezone = fields.String(load_default="Europe/Berlin")
    opening_hours = fields.Dict(keys=fields.String(validate=OneOf(WEEKDAYS)), values=fields.List(Interval()))
    fulfilment = fields.List(fields.String(validate=OneOf(FULFILMENT)), required=True)
    contact_email = fields.Email(load_default=None, allow_none=True)
    webhook_url = fields.Url(load_default=None, allow_none=True, require_tld=False)


class ProductData(Strict):
    vendor_id = fields.String(required=True, validate=VENDOR_ID)
    sku = fields.String(required=True, validate=SKU)
    gtin = fields.String(required=True, validate=Regexp(r"^\d{13}$", error="must be 13 digits"))
    title = fields.String(required=True, validate=Length(min=1, max=300))
    description = fields.String(load_default="")
    brand = fields.String(load_default="")
    category = fields.String(required=True, validate=Length(min=1, max=300))
    price = fields.String(required=True, validate=DECIMAL_STRING)
    currency = fields.String(load_default="EUR", validate=OneOf(["EUR"]))
    attributes = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    published = fields.Boolean(load_default=True)
    available = fields.Integer(load_default=0, validate=Range(min=0))


class ProductRef(Strict):
    vendor_id = fields.String(required=True, validate=VENDOR_ID)
    sku = fields.String(required=True, validate=SKU)


class StockChangedLine(Strict):
    vendor_id = fields.String(required=True, validate=VENDOR_ID)
    sku = fields.String(required=True, validate=SKU)
    available = fields.Integer(required=True, validate=Range(min=0))
    version = fields.Integer(required=True, validate=Range(min=0))


class StockChanged(Strict):
    lines = fields.List(fields.Nested(StockChangedLine), required=True, validate=Length(min=1))


# --- pos (external producers) ----------------------------------------------------------------------------


class ReportedLine(Strict):
    sku = fields.String(required=True, validate=SKU)
    quantity = fields.Integer(required=True, validate=Range(min=0))
    sequence = fields.Integer(required=True, validate=Range(min=0))


class AdjustedLine(Strict):
    sku = fields.String(required=True, validate=SKU)
    delta = fields.Integer(required=True)
    sequence = fields.Integer(required=True, validate=Range(min=0))
    reason = fields.String(load_default="correction", validate=OneOf(["sale", "return", "delivery", "correction"]))


class StockReported(Strict):
    vendor_id = fields.String(required=True, validate=VENDOR_ID)
    lines = fields.List(fields.Nested(ReportedLine), required=True, validate=Length(min=1, max=5000))


class StockAdjusted(Strict):
    vendor_id = fields.String(required=True, validate=VENDOR_ID)
    lines = fields.List(fields.Nested(AdjustedLine), required=True, validate=Length(min=1, max=5000))


# --- orders ----------------------------------------------------------------------------------------------


class Shopper(Strict):
    name = fields.String(required=True, validate=Length(min=1, max=200))
    email = fields.Email(required=True)
    phone = fields.String(load_default=None, allow_none=True)
    language = fields.String(load_default="de", validate=OneOf(LANGUAGES))


class OrderLine(Strict):
    sku = fields.String(required=True, validate=SKU)
    title = fields.String(required=True)
    quantity = fields.Integer(required=True, validate=Range(min=1))
    unit_price = fields.String(required=True, validate=DECIMAL_STRING)


class Fulfilment(Strict):
    method = fields.String(required=True, validate=OneOf(FULFILMENT))
    address = fields.Dict(load_default=None, allow_none=True)


class VendorOrder(Strict):
    vendor_order_id = fields.String(required=True)
    vendor_id = fields.String(required=True, validate=VENDOR_ID)
    vendor_name = fields.String(load_default="")
    state = fields.String(required=True)
    fulfilment = fields.Nested(Fulfilment, required=True)
    pickup_code = fields.String(required=True)
    lines = fields.List(fields.Nested(OrderLine), required=True, validate=Length(min=1))
    total = fields.String(required=True, validate=DECIMAL_STRING)


class OrderPlaced(Strict):
    order_id = fields.String(required=True)
    shopper = fields.Nested(Shopper, required=True)
    vendor_orders = fields.List(fields.Nested(VendorOrder), required=True, validate=Length(min=1))
    total = fields.String(required=True, validate=DECIMAL_STRING)


class VendorOrderEvent(Strict):
    order_id = fields.String(required=True)
    shopper = fields.Nested(Shopper, required=True)
    vendor_order = fields.Nested(VendorOrder, required=True)
    reason = fields.String(load_default=None, allow_none=True)
    by = fields.String(load_default=None, allow_none=True, validate=OneOf(["vendor", "shopper", "system"]))


#: (producer, event_type) -> {schema_version: schema class}
EVENT_CONTRACTS: dict[tuple[str, str], dict[int, type[Schema]]] = {
    ("catalog", "vendor_registered"): {1: VendorData},
    ("catalog", "vendor_updated"): {1: VendorData},
    ("catalog", "product_upserted"): {1: ProductData},
    ("catalog", "product_withdrawn"): {1: ProductRef},
    ("catalog", "stock_changed"): {1: StockChanged},
    ("pos", "stock_reported"): {1: StockReported},
    ("pos", "stock_adjusted"): {1: StockAdjusted},
    ("orders", "order_placed"): {1: OrderPlaced},
    ("orders", "vendor_order_accepted"): {1: VendorOrderEvent},
    ("orders", "vendor_order_ready"): {1: VendorOrderEvent},
    ("orders", "vendor_order_collected"): {1: VendorOrderEvent},
    ("orders", "vendor_order_cancelled"): {1: VendorOrderEvent},
    ("orders", "order_expired"): {1: VendorOrderEvent},
}
