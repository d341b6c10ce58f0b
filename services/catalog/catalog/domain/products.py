"""Products (offers of one vendor): GTIN, price, category path and the shape of the record."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from marktplatz_shared.errors import InvalidInput
from marktplatz_shared.events.contracts import ProductData

from .gtin import gtin13_problem
from .validation import invalid, load

CATEGORY_SEPARATOR = " > "
MAX_PRICE = Decimal("999999999.99")


def parse_price(value: Any) -> Decimal:
    """A price in EUR with at most two decimals, not negative. Accepts "12.90", "12.9", 12.9 or 12."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError("must be a decimal amount like 12.90")
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("must be a decimal amount like 12.90") from None
    if not price.is_finite():
        raise ValueError("must be a decimal amount like 12.90")
    if price < 0:
        raise ValueError("must not be negative")
    if price != price.quantize(Decimal("0.01")):
        raise ValueError("must have at most two decimals")
    if price > MAX_PRICE:
        raise ValueError(f"must be at most {MAX_PRICE}")
    return price.quantize(Decimal("0.01"))


def price_to_cents(price: Decimal) -> int:
    return int(price * 100)


def cents_to_price(cents: int) -> str:
    return str((Decimal(cents) / 100).quantize(Decimal("0.01")))


def normalise_category(path: str) -> str:
    """ "Sport >Fahrrad>  Helme" -> "Sport > Fahrrad > Helme"; an empty level is an error."""
    levels = [level.strip() for level in path.split(">")]
    if any(not level for level in levels):
        raise ValueError('must be a path of non-empty levels like "A > B > C"')
    return CATEGORY_SEPARATOR.join(levels)


def validate_product(data: Any) -> dict[str, Any]:
    """A product record in the shape of ``product_upserted`` (without ``available``), or InvalidInput."""
    if not isinstance(data, dict):
        raise invalid("product", {"_schema": ["expected an object"]})
    data = dict(data)
    problems: dict[str, list[str]] = {}
    if "available" in data:
        problems["available"] = ["is derived from stock; send stock through apply_stock_batch"]
    price = None
    try:
        price = parse_price(data.get("price"))
        data["price"] = str(price)
    except ValueError as exc:
        problems["price"] = [str(exc)]
        data["price"] = "0.00"  # a stand-in, so the other fields are checked too
    try:
        product = load(ProductData, data, "product")
    except InvalidInput as exc:  # name every problem at once: the contract's and ours
        raise invalid("product", {**exc.details, **problems}) from None
    gtin_problem = gtin13_problem(product["gtin"])
    if gtin_problem:
        problems["gtin"] = [gtin_problem]
    try:
        product["category"] = normalise_category(product["category"])
    except ValueError as exc:
        problems["category"] = [str(exc)]
    if problems:
        raise invalid("product", problems)
    product.pop("available", None)
    return product
