"""A product as the index holds it, and the rules that decide when it must be re-indexed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from . import analysis
from .fields import (
    COMPOUND_PARTS,
    EDGE_PREFIX,
    GERMAN,
    GONE,
    LIVE,
    SCORED_SOURCES,
    TEXT_FIELDS,
    WEIGHTED,
    category_level_field,
    repetitions,
)

CATEGORY_SEPARATOR = " > "


def product_id(vendor_id: str, sku: str) -> str:
    return f"{vendor_id}/{sku}"


@dataclass(frozen=True)
class ProductDoc:
    vendor_id: str
    sku: str
    gtin: str
    title: str
    description: str
    brand: str
    category: str
    price: str
    attributes: dict[str, str] = field(default_factory=dict)
    available: int = 0
    stock_version: int = 0
    changed_at: float = 0.0
    state: str = LIVE

    @property
    def id(self) -> str:
        return product_id(self.vendor_id, self.sku)

    @property
    def live(self) -> bool:
        return self.state == LIVE

    @classmethod
    def from_event_data(cls, data: dict[str, Any], changed_at: float) -> ProductDoc:
        """From a ``product_upserted`` event's data or a catalog stream row (which has the same fields)."""
        return cls(
            vendor_id=data["vendor_id"],
            sku=data["sku"],
            gtin=data.get("gtin", ""),
            title=data["title"],
            description=data.get("description", "") or "",
            brand=data.get("brand", "") or "",
            category=data["category"],
            price=str(data["price"]),
            attributes={str(k): str(v) for k, v in (data.get("attributes") or {}).items()},
            available=int(data.get("available", 0) or 0),
            changed_at=changed_at,
            state=LIVE if data.get("published", True) else GONE,
        )

    def tombstone(self, changed_at: float) -> ProductDoc:
        return replace(self, state=GONE, changed_at=changed_at)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ProductDoc:
        """From what :meth:`to_json` wrote (a stored document, every field present): its fields are taken as
        they are, without the frozen dataclass's per-field setattr (a page of 20 hits: 0.06 ms less)."""
        if data.keys() != _FIELD_NAMES:
            return cls(**data)  # another shape: the constructor names what is missing or unknown
        doc = object.__new__(cls)
        doc.__dict__.update(data)
        return doc

    def searchable_fingerprint(self) -> str:
        """Everything a search can see of the product; equal fingerprints need no re-index."""
        seen = self.to_json()
        seen.pop("stock_version")
        seen.pop("changed_at")
        return hashlib.sha1(json.dumps(seen, sort_keys=True).encode()).hexdigest()

    # --- what feeds the fields ----------------------------------------------------------------------

    def source_text(self, source: str) -> str:
        if source == "attributes":
            return " ".join(f"{k} {v}" for k, v in self.attributes.items())
        if source == "category":
            return self.category.replace(CATEGORY_SEPARATOR, " ")
        return getattr(self, source)

    def category_paths(self) -> list[str]:
        return category_paths(self.category)

    def category_levels(self) -> dict[str, str]:
        """The single-valued path fields: category_l1 = "Mode", category_l2 = "Mode > Herren", ..."""
        paths = category_paths(self.category) if self.category else []
        return {field: path for depth, path in enumerate(paths, 1) if (field := category_level_field(depth))}

    def analysed_fields(self) -> dict[str, list[str]]:
        """The tokens of every text field, analysed as :mod:`search.domain.fields` describes."""
        seen: dict[tuple[str, tuple[str, ...]], list[str]] = {}  # the scored field reuses the others' sources
        return {f.name: self._tokens(f.analyzer, f.sources, seen) for f in TEXT_FIELDS}

    def analysed(self, field_name: str) -> list[str]:
        """The tokens of one text field."""
        f = next(f for f in TEXT_FIELDS if f.name == field_name)
        return self._tokens(f.analyzer, f.sources, {})

    def _tokens(self, analyzer: str, sources: tuple[str, ...], seen: dict) -> list[str]:
        key = (analyzer, sources)
        if key in seen:
            return seen[key]
        texts = [self.source_text(s) for s in sources]
        if analyzer == GERMAN:
            tokens = [t for text in texts for t in analysis.stems(text)]
        elif analyzer == COMPOUND_PARTS:
            tokens = analysis.compound_parts(texts)
        elif analyzer == EDGE_PREFIX:
            tokens = [p for text in texts for p in analysis.edge_prefixes(text)]
        elif analyzer == WEIGHTED:
            tokens = [t for s in SCORED_SOURCES for t in self._tokens(s.analyzer, s.sources, seen) * repetitions(s)]
        else:
            raise ValueError(f"unknown analyzer {analyzer}")
        seen[key] = tokens
        return tokens


_FIELD_NAMES = frozenset(f.name for f in fields(ProductDoc))


def category_paths(category: str) -> list[str]:
    levels = [level.strip() for level in category.split(CATEGORY_SEPARATOR.strip())]
    return [CATEGORY_SEPARATOR.join(levels[: i + 1]) for i in range(len(levels))]


def category_facet_field(category: str | None) -> str:
    """The field the category facet counts: the level below the category filtered on (the top level without
    one), each offer once; below the deepest level field, every path (the answer keeps the level it shows)."""
    depth = len(category_paths(category)) if category else 0
    return category_level_field(depth + 1) or "category_path"


@dataclass(frozen=True)
class StockUpdate:
    vendor_id: str
    sku: str
    available: int
    version: int
    occurred_at: float

    @property
    def id(self) -> str:
        return product_id(self.vendor_id, self.sku)


def stock_placeholder(update: StockUpdate) -> ProductDoc:
    """Stock of a product the index does not know yet; not live, and older than any product event."""
    return ProductDoc(
        vendor_id=update.vendor_id,
        sku=update.sku,
        gtin="",
        title="",
        description="",
        brand="",
        category="",
        price="0",
        available=update.available,
        stock_version=update.version,
        changed_at=0.0,
        state=GONE,
    )


def apply_upsert(current: ProductDoc | None, incoming: ProductDoc) -> ProductDoc | None:
    """The document after a product event, or None when nothing a search sees changes (or it is stale).

    Stock is owned by ``stock_changed`` (it carries versions): once one was applied, an upsert keeps it.
    """
    if current is not None:
        if incoming.changed_at < current.changed_at:
            return None  # an older product event delivered late
        if current.stock_version > 0:
            incoming = replace(incoming, available=current.available, stock_version=current.stock_version)
        if incoming.searchable_fingerprint() == current.searchable_fingerprint():
            return None
    elif not incoming.live:
        return incoming  # remember the withdrawal so a late older upsert cannot bring it back
    return incoming


def apply_stock(current: ProductDoc | None, update: StockUpdate) -> ProductDoc | None:
    """The document after a stock change, or None when it is stale (not newer than the index's).

    Stock and product events travel in different queues, so a product's first stock change can arrive before
    the product itself: it is kept in a placeholder that no search returns, and the product takes it over.
    """
    if current is None:
        return stock_placeholder(update)
    if update.version <= current.stock_version:
        return None
    # written even when only the version moved: the index is where the version is kept, so that after a
    # restart an older stock event delivered late still finds the newer version and loses
    return replace(current, available=update.available, stock_version=update.version)
