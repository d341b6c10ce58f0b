"""The ports the use cases talk to: a search backend (tantivy or Elasticsearch) and the catalog."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from .domain.products import ProductDoc
from .domain.query import SearchPlan


@dataclass
class BackendResult:
    total: int
    hits: list[tuple[ProductDoc, float]]
    #: "category": {path: n}, "vendor": {vendor_id: n}, "price": [(from, to, n)], "in_stock": {"true": n, "false": n}
    facets: dict[str, Any] = field(default_factory=dict)


class IndexBuilder(Protocol):
    """A new index being filled next to the live one; ``finish`` switches it in atomically."""

    def write(self, docs: list[ProductDoc]) -> None: ...

    def load(self, docs: list[ProductDoc]) -> None:
        """Like ``write`` for documents whose ids the new index does not hold yet (a bulk load: no lookups)."""
        ...

    def finish(self) -> None: ...

    def abort(self) -> None: ...


class SearchBackend(Protocol):
    """One interface, two engines. ``write`` returns when the documents are durable and searchable."""

    name: str
    #: why the index must be rebuilt from the catalog before it is whole again (None: it is whole)
    rebuild_reason: str | None

    def known(self, stems: set[str]) -> set[str]: ...

    def similar(self, stem: str, max_distance: int) -> list[tuple[str, int]]: ...

    def get(self, ids: Iterable[str]) -> dict[str, ProductDoc]: ...

    def write(self, docs: list[ProductDoc]) -> None: ...

    def execute(self, plan: SearchPlan) -> BackendResult: ...

    def vendor_counts(self, plan: SearchPlan) -> dict[str, int]: ...

    def count(self, plan: SearchPlan) -> int:
        """How many documents the plan matches (its page, sort and facets aside)."""
        ...

    def start_count(self, plan: SearchPlan) -> Callable[[], int]:
        """Begin ``count`` beside the caller's next queries; calling the result waits for the number."""
        ...

    def suggest(self, words: list[str], prefix: str, limit: int) -> list[str]: ...

    def stats(self) -> dict[str, Any]: ...

    def start_rebuild(self) -> IndexBuilder: ...

    def close(self) -> None: ...


class Catalog(Protocol):
    """The catalog service as a rebuild needs it (the ``stream_published_products`` RPC contract)."""

    def stream_published_products(self, cursor: str | None, limit: int) -> dict[str, Any]: ...

    def list_vendors(self, cursor: str | None, limit: int) -> dict[str, Any]: ...
