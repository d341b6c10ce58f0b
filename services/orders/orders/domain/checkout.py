"""A checkout request: what the shopper asks for, checked and grouped per vendor before anything is reserved."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema
from marshmallow.validate import Length, OneOf, Range

from marktplatz_shared.events.contracts import FULFILMENT, LANGUAGES, SKU, VENDOR_ID

from .model import Fulfilment, Shopper

MAX_LINES = 200
MAX_QUANTITY = 999


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ShopperSchema(_Strict):
    name = fields.String(required=True, validate=Length(min=1, max=200))
    email = fields.Email(required=True, validate=Length(max=254))
    phone = fields.String(load_default=None, allow_none=True, validate=Length(max=40))
    language = fields.String(load_default="de", validate=OneOf(LANGUAGES))


class LineSchema(_Strict):
    vendor_id = fields.String(required=True, validate=VENDOR_ID)
    sku = fields.String(required=True, validate=SKU)
    quantity = fields.Integer(required=True, strict=True, validate=Range(min=1, max=MAX_QUANTITY))


class FulfilmentSchema(_Strict):
    method = fields.String(required=True, validate=OneOf(FULFILMENT))
    address = fields.Dict(keys=fields.String(), load_default=None, allow_none=True)

    @validates_schema
    def _delivery_needs_an_address(self, data, **kwargs):
        if data["method"] == "delivery" and not data.get("address"):
            raise ValidationError("delivery needs an address", "address")
        if data["method"] == "pickup" and data.get("address"):
            raise ValidationError("pickup takes no address", "address")


class CheckoutSchema(_Strict):
    shopper = fields.Nested(ShopperSchema, required=True)
    lines = fields.List(fields.Nested(LineSchema), required=True, validate=Length(min=1, max=MAX_LINES))
    fulfilment = fields.Dict(keys=fields.String(validate=VENDOR_ID), values=fields.Nested(FulfilmentSchema))

    @validates_schema
    def _one_fulfilment_per_vendor(self, data, **kwargs):
        vendors = {line["vendor_id"] for line in data.get("lines", [])}
        chosen = set(data.get("fulfilment") or {})
        errors = {}
        for vendor_id in sorted(chosen - vendors):
            errors[f"fulfilment.{vendor_id}"] = ["no line of this order is from this vendor"]
        if errors:
            raise ValidationError(errors)


@dataclass(frozen=True)
class VendorPart:
    """The lines of one vendor in a checkout, and how the shopper wants them."""

    vendor_id: str
    fulfilment: Fulfilment
    quantities: dict[str, int]  # sku -> quantity, same sku lines summed

    def reserve_lines(self) -> list[dict[str, Any]]:
        return [{"vendor_id": self.vendor_id, "sku": sku, "quantity": q} for sku, q in self.quantities.items()]


@dataclass(frozen=True)
class CheckoutRequest:
    shopper: Shopper
    parts: list[VendorPart]  # sorted by vendor id
    fingerprint: str  # identifies the request content, to refuse an idempotency key reused for another request


class InvalidCheckout(ValueError):
    def __init__(self, problems: dict[str, list[str]]):
        self.problems = problems
        super().__init__("invalid checkout: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in sorted(problems.items())))


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = list(messages)
    else:
        flat[prefix or "_schema"] = [str(messages)]
    return flat


def parse_checkout(request: Any) -> CheckoutRequest:
    """Check a checkout request; raise :class:`InvalidCheckout` naming each offending field."""
    if not isinstance(request, dict):
        raise InvalidCheckout({"_schema": ["expected an object"]})
    try:
        data = CheckoutSchema().load(request)
    except ValidationError as err:
        raise InvalidCheckout(_flatten(err.messages)) from None
    chosen = data.get("fulfilment") or {}
    per_vendor: dict[str, dict[str, int]] = {}
    for line in data["lines"]:
        skus = per_vendor.setdefault(line["vendor_id"], {})
        skus[line["sku"]] = skus.get(line["sku"], 0) + line["quantity"]
    parts = [
        VendorPart(
            vendor_id=vendor_id,
            # pickup where the shopper made no choice
            fulfilment=Fulfilment(**chosen.get(vendor_id, {"method": "pickup", "address": None})),
            quantities=dict(sorted(per_vendor[vendor_id].items())),
        )
        for vendor_id in sorted(per_vendor)
    ]
    s = data["shopper"]
    shopper = Shopper(name=s["name"], email=s["email"], phone=s["phone"], language=s["language"])
    canonical = json.dumps(
        {
            "shopper": [shopper.name, shopper.email, shopper.phone, shopper.language],
            "parts": [[p.vendor_id, p.fulfilment.method, p.fulfilment.address, p.quantities] for p in parts],
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return CheckoutRequest(shopper=shopper, parts=parts, fingerprint=hashlib.sha256(canonical.encode()).hexdigest())
