"""The embedded backend: a tantivy index on local disk, analysed in Python from the one field description.

Layout under the index root: one directory per generation (``gen-000001``...) and a ``current`` symlink
naming the live one. A rebuild fills the next generation and swaps the symlink with an atomic rename.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import os
import queue
import shutil
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any, NamedTuple

import numpy as np
import orjson
import tantivy
from rapidfuzz import process
from rapidfuzz.distance import OSA
from tantivy import Occur, Query

from ..domain import ranking
from ..domain.fields import (
    GONE,
    KEYWORD_FIELDS,
    LIVE,
    NUMERIC_FIELDS,
    PHRASE_FIELD,
    PRICE_RANGES,
    SCORED_FIELD,
    SUGGEST_FIELD,
    TEXT_FIELDS,
    VOCABULARY_FIELD,
)
from ..domain.products import CATEGORY_SEPARATOR, ProductDoc, category_facet_field, category_paths
from ..domain.query import Alternative, SearchPlan, TermGroup
from ..ports import BackendResult

log = logging.getLogger(__name__)

CURRENT = "current"
WRITER_HEAP = 200_000_000  # the live index: commits about every second, its segments stay small
#: a rebuild's writer: tantivy writes a segment each time a writer thread's share of this fills, and a settled
#: index of fewer segments answers faster (1M products: 200 MB left 8 segments, p50 2.67 / p99 13.4 ms; 600 MB
#: left 2, p50 2.26 / p99 10.0 ms). Memory grows only as far as the catalog needs (about 500 MB for 1M products).
REBUILD_WRITER_HEAP = 600_000_000
FACET_CATEGORY_SIZE = 500
FEW_VENDORS = 16
VENDOR_QUERIES = 256  # shop sets whose queries are kept
VENDOR_COUNT_BY_KEY = 64  # shops counted on the key column (see vendor_counts); more by name
_COUNT = {"n": {"value_count": {"field": "stock_version"}}}  # every document has a stock version
VOCABULARY_MAX_AGE = 10.0  # seconds
#: a shop filter naming at least this share of the index's shops is applied after the ranking: tantivy builds
#: a wide filter as a bitset of every offer of its shops (30 km = 747 of 2,000 shops, 373k offers: 2.4 ms),
#: where the ranking alone, the page's shops read from a column, costs what the words cost (kaffee: 1.0 ms)
WIDE_SHOP_SHARE = 0.2
WIDE_FETCH_MAX = 2_000  # hits looked through after the ranking before the filter goes first after all
SHOP_COUNT_MAX_AGE = 10.0  # seconds: how long the number of shops in the index is taken as known
SWITCH_INTERVAL = 0.001  # seconds: the longest a thread waits for the GIL (see SideThread)
_ALL = Query.all_query()


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for f in TEXT_FIELDS:
        option = "position" if f.positions else ("basic" if f.name == SUGGEST_FIELD else "freq")
        sb.add_text_field(f.name, tokenizer_name="whitespace", index_option=option)
    for k in KEYWORD_FIELDS:
        sb.add_text_field(k.name, tokenizer_name="raw", fast=k.facet, index_option="basic")
    for n in NUMERIC_FIELDS:
        add = sb.add_float_field if n.kind == "float" else sb.add_integer_field
        add(n.name, indexed=True, fast=True)
    sb.add_integer_field(PRICE_STOCK_FIELD, indexed=False, fast=True)
    sb.add_float_field(STOCK_WEIGHT_FIELD, indexed=False, fast=True)
    sb.add_integer_field(STOCKED_PRICE_FIELD, indexed=False, fast=True)
    sb.add_integer_field(VENDOR_KEY_FIELD, indexed=False, fast=True)
    sb.add_text_field(PRICE_EDGE_FIELD, tokenizer_name="raw", index_option="basic")
    sb.add_text_field(OFFER_ORDER_FIELD, tokenizer_name="raw", fast=True, index_option="basic")
    sb.add_bytes_field("doc", stored=True)
    return sb.build()


#: one column for two facets: the price bucket and whether the offer is on the shelf, as ``bucket * 2 + in
#: stock``. One terms aggregation over it counts both; two range aggregations cost about three times as much.
PRICE_STOCK_FIELD = "price_stock"


#: the in-stock factor as the column tantivy weighs scores by (score * log2(2 + value); 0 keeps the score).
#: The factor is part of the field's name: an index written with another factor is rebuilt, not mixed.
STOCK_WEIGHT_FIELD = "stock_weight_" + f"{ranking.IN_STOCK_FACTOR:.4f}".replace(".", "_")
STOCK_WEIGHT = 2**ranking.IN_STOCK_FACTOR - 2
#: the factor as tantivy applies it: ``score * log2(2 + weight)``, all in 32-bit floats (1.0500000715...)
STOCK_FACTOR_F32 = np.float32(np.log2(np.float32(2.0) + np.float32(STOCK_WEIGHT)))
#: a word matching at least this many offers is ranked by words alone and the in-stock factor applied to the
#: first BOUNDED_FETCH hits: tantivy weighing every match costs twice the ranking (1M products, "abus", 190k
#: matches: 3.2 ms weighed, 1.6 ms ranked and bounded; "kaffee", 41k: 0.71 -> 0.49); below it, weighing is cheaper.
HEAVY_MATCHES = 20_000
#: several words, each held by at least this many offers, are ranked the same way. Their matches are at most the
#: rarest word's offers, often far fewer: at 1M products, pairs whose rarest word 41k-50k offers hold matched
#: 2k-19k, where the bounded ranking was no faster (0.7-2.5 ms either way); "holz spielzeug" (rarest 100k, 100k
#: matches) took 3.0 ms weighed, 1.8 ms ranked and bounded.
HEAVY_RAREST_WORD = 80_000
BOUNDED_FETCH = 256


#: "in stock and priced between" as one range over one column: ``IN_STOCK_OFFSET * on the shelf + cents``. Each
#: filter clause costs tantivy about 12 ns per matching offer; one range instead of a range and an exclusion
#: halves that for the in-stock-and-price filter (1M products, 190k matches: 5.5 -> 3.1 ms).
STOCKED_PRICE_FIELD = "stocked_price_cents"
IN_STOCK_OFFSET = 10**12  # above any price in cents (at most 999,999,999.99 EUR)


#: the shop of an offer as a number, for reading the shops of a page of hits from a column
#: (``fast_field_values``) where a wide shop filter is applied after the ranking instead of before it.
VENDOR_KEY_FIELD = "vendor_key"


def vendor_key(vendor_id: str) -> int:
    """A stable 63-bit number for a shop id. Two shops with one key are told apart by the stored offer."""
    return int.from_bytes(hashlib.blake2b(vendor_id.encode(), digest_size=8).digest(), "big") >> 1


#: a price filter on the price facet's edges ("50 to 100 EUR", "in stock, up to 100 EUR": a shopper's click on a
#: facet) as one term of each offer: ``lo-hi`` (lo <= price <= hi), ``-hi``, ``lo-``, prefixed with ``s`` where the
#: offer is on the shelf. A term intersects the words' matches for less than a column range (1M products, "abus",
#: 190k matches, in stock up to 100 EUR: count 4.7 -> 3.3 ms); other bounds take the range. The edges are part of
#: the field's name: an index written with other edges is rebuilt, not mixed.
PRICE_EDGES: tuple[float, ...] = tuple(sorted({edge for bounds in PRICE_RANGES for edge in bounds if edge is not None}))
PRICE_EDGE_FIELD = "price_edges_" + "_".join(f"{edge:g}" for edge in PRICE_EDGES)
_EDGE_CENTS = {Decimal(repr(edge)) * 100: f"{edge:g}" for edge in PRICE_EDGES}  # in ascending order


#: the order of the offers in each segment of the index: by category path (its levels joined by a character below
#: any other), then on the shelf first, then by price bucket. A category with all below it is one run of offers,
#: and within it the offers on the shelf, and those in a price range; a filter on them skips the other runs instead
#: of checking every offer of the words (1M products, "holz spielzeug" in "Mode", which has none: 10.8 -> 2.3 ms;
#: the bench's category queries p50 2.48 -> 1.60, p99 11.1 -> 3.7 ms). Among equal scores, hits come in this order.
#: Sorting is a setting of a new index only: the field is in the schema, so an index an earlier release wrote,
#: unsorted, is started afresh and rebuilt.
OFFER_ORDER_FIELD = "offer_order"


def offer_order(category: str, price: float, available: int) -> str:
    path = "\x01".join(category_paths(category)[-1].split(CATEGORY_SEPARATOR)) if category else ""
    bucket, on_shelf = divmod(price_stock_key(price, available), 2)
    return f"{path}\x02{1 - on_shelf}{bucket}"


def cents(amount: str | float) -> Decimal:
    return Decimal(amount if isinstance(amount, str) else repr(amount)) * 100


def stocked_price_key(price: str, available: int) -> int:
    return (IN_STOCK_OFFSET if available > 0 else 0) + int(cents(price).to_integral_value(ROUND_HALF_EVEN))


def price_edge_terms(price: str, available: int) -> list[str]:
    """The price-edge terms of an offer (see PRICE_EDGE_FIELD)."""
    amount = cents(price)
    below = [name for edge, name in _EDGE_CENTS.items() if amount <= edge]  # price <= edge
    above = [name for edge, name in _EDGE_CENTS.items() if amount >= edge]  # price >= edge
    terms = [f"-{hi}" for hi in below] + [f"{lo}-" for lo in above]
    terms += [f"{lo}-{hi}" for lo in above for hi in below if lo != hi]
    return terms + ["s" + t for t in terms] if available > 0 else terms


def _price_edge_term(price_min: float | None, price_max: float | None, in_stock: bool) -> str | None:
    """The one term standing for a price filter (and on the shelf) whose every bound is an edge; None if any is not."""
    lo = "" if price_min is None else _EDGE_CENTS.get(cents(price_min))
    hi = "" if price_max is None else _EDGE_CENTS.get(cents(price_max))
    if lo is None or hi is None or (lo and lo == hi):
        return None  # not on the edges, or one price only (no term; the range takes it)
    return ("s" if in_stock else "") + f"{lo}-{hi}"


def _in_stock_priced(schema, price_min: float | None, price_max: float | None) -> Query:
    lo = 0 if price_min is None else int(cents(price_min).to_integral_value(ROUND_CEILING))
    hi = IN_STOCK_OFFSET - 1 if price_max is None else int(cents(price_max).to_integral_value(ROUND_FLOOR))
    return Query.range_query(
        schema, STOCKED_PRICE_FIELD, tantivy.FieldType.Integer, IN_STOCK_OFFSET + lo, IN_STOCK_OFFSET + hi
    )


def price_stock_key(price: float, available: int) -> int:
    for bucket, (lo, hi) in enumerate(PRICE_RANGES):
        if (lo is None or price >= lo) and (hi is None or price < hi):
            return bucket * 2 + (available > 0)
    raise ValueError(f"no price bucket holds {price}")  # the buckets are open at both ends: never


def _price_and_stock_facets(buckets: list[dict[str, Any]]) -> tuple[list[int], dict[str, int]]:
    prices, stock = [0] * len(PRICE_RANGES), {"true": 0, "false": 0}
    for b in buckets:
        bucket, on_shelf = divmod(int(b["key"]), 2)
        prices[bucket] += b["doc_count"]
        stock["true" if on_shelf else "false"] += b["doc_count"]
    return prices, stock


def to_tantivy(doc: ProductDoc) -> tantivy.Document:
    values: dict[str, Any] = {name: " ".join(tokens) for name, tokens in doc.analysed_fields().items()}
    values.update(
        id=doc.id,
        vendor_id=doc.vendor_id,
        gtin=doc.gtin,
        category_path=doc.category_paths(),
        **doc.category_levels(),
        state=doc.state,
        price=float(doc.price),
        available=max(doc.available, 0),  # 0 = not on the shelf: in stock is "not 0", the cheapest test
        **{
            PRICE_STOCK_FIELD: price_stock_key(float(doc.price), doc.available),
            STOCK_WEIGHT_FIELD: STOCK_WEIGHT if doc.available > 0 else 0.0,
            STOCKED_PRICE_FIELD: stocked_price_key(doc.price, doc.available),
            VENDOR_KEY_FIELD: vendor_key(doc.vendor_id),
            PRICE_EDGE_FIELD: price_edge_terms(doc.price, doc.available),
            OFFER_ORDER_FIELD: offer_order(doc.category, float(doc.price), doc.available),
        },
        stock_version=doc.stock_version,
        changed_at=doc.changed_at,
        doc=orjson.dumps(doc.to_json()),  # UTF-8 JSON; orjson reads it back 4x faster than json (every hit)
    )
    return tantivy.Document(**values)


class _Generation:
    def __init__(self, path: str, schema: tantivy.Schema, threads: int, heap: int = WRITER_HEAP):
        os.makedirs(path, exist_ok=True)
        self.path = path
        self.index = tantivy.Index(schema, path=path, reuse=True, sort_by_field=OFFER_ORDER_FIELD)
        self.writer = self.index.writer(heap, threads)
        self.index.reload()
        self.searcher = self.index.searcher()

    def write(self, docs: list[ProductDoc], schema) -> None:
        for doc in docs:
            self.writer.delete_documents_by_term("id", doc.id)
            self.writer.add_document(to_tantivy(doc))
        self.writer.commit()
        self.index.reload()
        self.searcher = self.index.searcher()

    def close(self) -> None:
        try:
            self.writer.wait_merging_threads()
        except Exception:  # noqa: BLE001 - already consumed
            pass


class TantivyBackend:
    name = "tantivy"

    def __init__(
        self,
        root: str,
        writer_threads: int = 1,
        side_thread: SideThread | None = None,
        rebuild_heap: int = REBUILD_WRITER_HEAP,
    ):
        self.root = os.path.abspath(root)
        self.rebuild_heap = rebuild_heap
        self._side = side_thread or SideThread()
        self.schema = build_schema()
        self.writer_threads = writer_threads
        self._swap_lock = threading.Lock()
        self._vocabulary = _Vocabulary()
        #: the query for a set of shops, built once per set: a shopper's position names the same shops query
        #: after query, and a term set of 747 shops costs 0.3 ms to build from Python (1M products, 2,000 shops)
        self._vendor_query = functools.lru_cache(maxsize=VENDOR_QUERIES)(lambda ids: _vendors(self.schema, ids))
        self._shops_seen, self._shops_read_at = _Shops(1, {}, frozenset()), -math.inf
        os.makedirs(self.root, exist_ok=True)
        current = os.path.join(self.root, CURRENT)
        if not os.path.islink(current):
            self._point_current_to(self._next_generation_name())
        #: why the index must be rebuilt from the catalog (None: it is whole); a finished rebuild clears it
        self.rebuild_reason: str | None = None
        try:
            self.gen = _Generation(os.path.realpath(current), self.schema, writer_threads)
        except ValueError as exc:
            if "schema does not match" not in str(exc):
                raise
            self.gen = self._start_afresh()

    def _start_afresh(self) -> _Generation:
        """An index written by a release with other fields: start an empty one; the service rebuilds it."""
        old = os.path.realpath(os.path.join(self.root, CURRENT))
        name = self._next_generation_name()
        gen = _Generation(os.path.join(self.root, name), self.schema, self.writer_threads)
        self._point_current_to(name)
        shutil.rmtree(old, ignore_errors=True)
        self.rebuild_reason = f"the index at {old} has the fields of another release"
        log.warning("search index started afresh: %s; it is rebuilt from the catalog", self.rebuild_reason)
        return gen

    # --- generations ---------------------------------------------------------------------------------

    def _next_generation_name(self) -> str:
        numbers = [int(n[4:]) for n in os.listdir(self.root) if n.startswith("gen-") and n[4:].isdigit()]
        return f"gen-{max(numbers, default=0) + 1:06d}"

    def _point_current_to(self, name: str) -> None:
        tmp = os.path.join(self.root, f".current-{name}")
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(name, tmp)
        os.replace(tmp, os.path.join(self.root, CURRENT))  # an atomic rename: readers see old or new

    def start_rebuild(self) -> TantivyBuilder:
        name = self._next_generation_name()
        gen = _Generation(os.path.join(self.root, name), self.schema, self.writer_threads, self.rebuild_heap)
        return TantivyBuilder(self, name, gen)

    def _switch_to(self, name: str, gen: _Generation) -> None:
        old = self.gen
        self._point_current_to(name)
        self.gen = gen
        self.rebuild_reason = None
        old.close()
        shutil.rmtree(old.path, ignore_errors=True)  # open readers keep their files until they let go

    # --- vocabulary ----------------------------------------------------------------------------------

    def known(self, stems: set[str]) -> set[str]:
        searcher = self.gen.searcher
        return {s for s in stems if searcher.doc_freq(VOCABULARY_FIELD, s) > 0}

    def similar(self, stem: str, max_distance: int) -> list[tuple[str, int]]:
        """Known terms within ``max_distance`` edits (a swap of neighbours is one) sharing the first letter."""
        if len(stem) < 3:
            return []
        candidates = self._vocabulary.starting_with(stem[0], self.gen.searcher)
        found = process.extract(stem, candidates, scorer=OSA.distance, score_cutoff=max_distance, limit=None)
        return [(term, int(d)) for term, d, _i in found if term != stem]

    # --- documents -----------------------------------------------------------------------------------

    def get(self, ids: Iterable[str]) -> dict[str, ProductDoc]:
        ids = list(ids)
        if not ids:
            return {}
        searcher = self.gen.searcher
        result = searcher.search(Query.term_set_query(self.schema, "id", ids), limit=len(ids), count=False)
        docs = {}
        for _score, address in result.hits:
            doc = _load(searcher.doc(address))
            docs[doc.id] = doc
        return docs

    def write(self, docs: list[ProductDoc]) -> None:
        self.gen.write(docs, self.schema)

    # --- queries -------------------------------------------------------------------------------------

    def _stem_query(self, stem: str) -> Query:
        return Query.term_query(self.schema, SCORED_FIELD, stem, index_option="freq")  # BM25F, see fields.py

    def _alternative_query(self, alt: Alternative) -> Query:
        if len(alt.stems) == 1:
            return Query.boost_query(self._stem_query(alt.stems[0]), alt.weight)
        return Query.boost_query(
            Query.boolean_query([(Occur.Must, self._stem_query(s)) for s in alt.stems]), alt.weight
        )

    def _group_query(self, group: TermGroup, within: Query | None = None) -> Query:
        """One query word and what may stand for it; ``within``, a few shops, is required in every variant.

        tantivy seeks into a union of variants (a compound's parts, typo corrections) by refilling a window
        of 4,096 documents, so a filter outside the union saves nothing: a few shops' offers spread over the
        whole index still make it read nearly every posting of frequent parts. Inside each variant the few
        shops lead ("regenjacke" in one shop of 2,000: 3.7 -> 0.8 ms at 1M products). A word without
        variants seeks well on its own; repeating the filter there costs more than it saves.
        """
        variants = [self._stem_query(group.stem)] + [self._alternative_query(a) for a in group.alternatives]
        if within is not None and group.alternatives:  # a word alone seeks well: the filter outside costs less
            variants = [Query.boolean_query([(Occur.Must, v), (Occur.Must, within)]) for v in variants]
        return variants[0] if len(variants) == 1 else Query.disjunction_max_query(variants, 0.0)

    def _within(self, plan: SearchPlan) -> Query | None:
        """The shop filter when it names few shops: cheap enough to repeat inside each word's variants."""
        ids = plan.filters.vendor_ids
        if ids is None or len(ids) > FEW_VENDORS:
            return None
        return Query.const_score_query(self._vendors(ids), 0.0)

    def _vendors(self, vendor_ids) -> Query:
        return self._vendor_query(frozenset(vendor_ids))

    def _filter(self, query: Query) -> tuple[Occur, Query]:
        return Occur.Must, Query.const_score_query(query, 0.0)

    def _filter_clauses(self, plan: SearchPlan) -> list[tuple[Occur, Query]]:
        f, schema = plan.filters, self.schema
        clauses = [_NOT_GONE(schema)]  # excluding the few tombstones costs less than requiring every live one
        if f.category:
            clauses.append(self._filter(Query.term_query(schema, "category_path", f.category)))
        if f.vendor_ids is not None:
            clauses.append(self._filter(self._vendors(f.vendor_ids)))
        priced = f.price_min is not None or f.price_max is not None
        edge = _price_edge_term(f.price_min, f.price_max, f.in_stock) if priced else None
        if edge is not None:
            clauses.append(self._filter(Query.term_query(schema, PRICE_EDGE_FIELD, edge)))
        elif f.in_stock and priced:
            clauses.append(self._filter(_in_stock_priced(schema, f.price_min, f.price_max)))
        elif f.in_stock:
            clauses.append(_OUT_OF_STOCK(schema))
        elif priced:
            clauses.append(
                self._filter(Query.range_query(schema, "price", tantivy.FieldType.Float, f.price_min, f.price_max))
            )
        return clauses

    def build_query(self, plan: SearchPlan, with_boosts: bool = True) -> Query:
        """The plan as a tantivy query; ``with_boosts=False`` matches the same documents without ranking clauses."""
        schema = self.schema
        clauses = self._filter_clauses(plan)
        if plan.gtin is not None:
            clauses.append((Occur.Must, Query.term_query(schema, "gtin", plan.gtin)))
        elif plan.groups:
            within = self._within(plan)
            groups = [self._group_query(g, within) for g in plan.groups if not g.optional]
            if plan.minimum_match >= len(groups):
                clauses.extend((Occur.Must, g) for g in groups)
            else:
                text = Query.boolean_query([(Occur.Should, g) for g in groups], plan.minimum_match)
                clauses.append((Occur.Must, text))
        else:
            clauses.append((Occur.Must, Query.all_query()))
        query = Query.boolean_query(clauses)
        if not with_boosts:
            return query
        # Each ranking clause wraps the query so far: tantivy scores one optional clause per boolean query
        # cheaply, several optional clauses in one (a union to advance for every match) several times slower.
        for boost in self._ranking_clauses(plan):
            query = Query.boolean_query([(Occur.Must, query), (Occur.Should, boost)])
        return query

    def _ranking_clauses(self, plan: SearchPlan) -> list[Query]:
        schema, clauses, within = self.schema, [], self._within(plan)
        qualifiers = [
            (Occur.Should, Query.boost_query(self._group_query(g, within), ranking.QUALIFIER_WEIGHT))
            for g in plan.groups
            if g.optional
        ]
        if qualifiers:
            clauses.append(Query.boolean_query(qualifiers))
        if plan.gtin is None and len(plan.phrase) > 1:
            phrase = Query.phrase_query(schema, PHRASE_FIELD, list(plan.phrase), ranking.PHRASE_SLOP)
            clauses.append(Query.boost_query(phrase, ranking.PHRASE_BOOST))
        # a shop is in one ring at most: each ring's clause adds its boost. One clause per ring, each wrapping
        # the query on its own: seeking one shop set per match costs less than seeking a union of three (1M
        # products, within 30 km: top hits 3.96 -> 3.64 ms, the same hits and scores)
        clauses.extend(
            Query.const_score_query(self._vendors(vendor_ids), boost)
            for vendor_ids, boost in plan.vendor_boosts
            if vendor_ids
        )
        return clauses

    def execute(self, plan: SearchPlan) -> BackendResult:
        """The page of hits, and the facets counted at the same time on a second thread."""
        searcher = self.gen.searcher
        facets = None
        if plan.facets:
            # the facets' query (the same documents, nothing to score) is built on the side thread too: a wide shop
            # filter's term set takes 0.13 ms to build, which the caller spends on its ranking meanwhile
            facets = self._side.submit(lambda: self._facets(searcher, self.build_query(plan, with_boosts=False), plan))
        try:
            return self._top_hits(searcher, plan, facets)
        except BaseException:
            if facets is not None:
                facets.wait()
            raise

    def _top_hits(self, searcher, plan: SearchPlan, facets: _Pending | None) -> BackendResult:
        count = facets is None  # the facets count every match anyway: in stock and not add up to the total
        factor = 1.0
        if plan.sort in ("price_asc", "price_desc"):
            order = tantivy.Order.Asc if plan.sort == "price_asc" else tantivy.Order.Desc
            result = searcher.search(self.build_query(plan), plan.limit, count, "price", plan.offset, order)
            found, total = result.hits, result.count
        else:
            # in stock first, as a factor; when every match is in stock the factor is the same for all, and it is
            # applied to the page instead (weighing every match costs tantivy its pruning: 2x on a frequent word)
            weight = STOCK_WEIGHT_FIELD if plan.in_stock_first else None
            if weight and plan.filters.in_stock:
                weight, factor = None, ranking.IN_STOCK_FACTOR
            found, total = self._ranked_within(searcher, plan, count, weight)
        hits = [(_load(searcher.doc(address)), float(key) * factor) for key, address in found]
        allowed = plan.filters.vendor_ids
        if allowed is not None and any(doc.vendor_id not in allowed for doc, _score in hits):
            # a shop with the key of an allowed one, newer than the index's shops as last read (never seen:
            # 2,000 shops in 2^63 keys): the filter goes first after all
            found, total = self._ranked(searcher, plan, count, weight)
            hits = [(_load(searcher.doc(address)), float(key) * factor) for key, address in found]
        if facets is None:
            return BackendResult(total=total, hits=hits)
        counted = facets.result()
        return BackendResult(total=sum(counted["in_stock"].values()), hits=hits, facets=counted)

    def _ranked_within(self, searcher, plan: SearchPlan, count: bool, weight: str | None) -> tuple[list, int | None]:
        """The page by relevance; a wide shop filter (many of the region's shops) applied after the ranking.

        The ranking runs without the shop filter for a few more hits than the page needs; the hits' shops are
        read from a column, and the first of the allowed ones are the page: the filter adds nothing to a score,
        and ties keep index order either way, so they are the page the filtered query would give. When too
        few of them are allowed, the filtered query runs after all.
        """
        allowed = plan.filters.vendor_ids
        if allowed is None or len(allowed) <= FEW_VENDORS:
            return self._ranked(searcher, plan, count, weight)
        shops = self._shops()
        if len(allowed) < WIDE_SHOP_SHARE * shops.count or not allowed.isdisjoint(shops.sharing_a_key):
            return self._ranked(searcher, plan, count, weight)
        total = self.start_count(plan) if count else None  # the filtered count, beside the ranking
        window = plan.offset + plan.limit
        unfiltered = replace(plan, filters=replace(plan.filters, vendor_ids=None), offset=0)
        unfiltered = replace(unfiltered, vendor_boosts=_rings_within(plan.vendor_boosts, allowed))
        fetch = min(WIDE_FETCH_MAX, max(window + 20, math.ceil(2 * window * shops.count / len(allowed))))
        while True:
            found, _ = self._ranked(searcher, replace(unfiltered, limit=fetch), False, weight)
            keys = searcher.fast_field_values(VENDOR_KEY_FIELD, [address for _key, address in found])
            hit_shops = [shops.by_key.get(key) for key in keys]
            if None in hit_shops:  # an offer of a shop onboarded since the shops were read: read them again
                self._shops_read_at = -math.inf
                found, counted = self._ranked(searcher, plan, False, weight)
                return found, (total() if total else counted)
            kept = [hit for hit, shop in zip(found, hit_shops, strict=True) if shop in allowed]
            if len(kept) >= window or len(found) < fetch:  # the page, or every match there is
                return kept[plan.offset : window], (total() if total else None)
            if fetch >= WIDE_FETCH_MAX:
                found, counted = self._ranked(searcher, plan, False, weight)
                return found, (total() if total else counted)
            fetch = min(WIDE_FETCH_MAX, fetch * 4)

    def _shops(self) -> _Shops:
        """The index's shops as last read (again after SHOP_COUNT_MAX_AGE: shops are onboarded meanwhile)."""
        now = time.monotonic()
        if now - self._shops_read_at > SHOP_COUNT_MAX_AGE:
            ids = [term for term, _n in self.gen.searcher.terms_with_prefix("vendor_id", "")]
            by_key: dict[int, str] = {}
            sharing: set[str] = set()
            for vendor_id in ids:
                other = by_key.setdefault(vendor_key(vendor_id), vendor_id)
                if other != vendor_id:
                    sharing.update((vendor_id, other))
            self._shops_seen = _Shops(max(len(ids), 1), by_key, frozenset(sharing))
            self._shops_read_at = now
        return self._shops_seen

    def _ranked(self, searcher, plan: SearchPlan, count: bool, weight: str | None) -> tuple[list, int | None]:
        """The page by relevance; a distance ring of few shops is searched on its own and merged in.

        Wrapping the query in a ring's clause costs a seek into the ring's shops for every match (1M products,
        "abus" within 30 km, 71k matches: 0.45 ms for a ring of one shop); the same query restricted to the
        ring's few shops, its boost added to every hit, costs 0.05 ms. A hit's best score is the one it is
        ranked by: the boost is positive and a shop is in one ring at most, so the merged page is the page.
        """
        allowed = plan.filters.vendor_ids
        alone, wrapped = [], []
        for ids, boost in plan.vendor_boosts:
            shops = ids if allowed is None else ids & allowed
            if shops:
                (alone if len(shops) <= FEW_VENDORS and plan.gtin is None else wrapped).append((shops, boost))
        query = self.build_query(replace(plan, vendor_boosts=tuple(wrapped)))
        heavy = weight is not None and self._heavy(plan)
        if not alone:
            return self._weighed_top(searcher, query, plan.offset, plan.limit, count, weight, heavy)
        window = plan.offset + plan.limit
        found, total = self._weighed_top(searcher, query, 0, window, count, weight, heavy)
        best = {(a.segment_ord, a.doc): (score, a) for score, a in found}
        for shops, boost in alone:
            ring = self.build_query(replace(plan, vendor_boosts=(), filters=replace(plan.filters, vendor_ids=shops)))
            boosted = Query.boolean_query([(Occur.Must, ring), (Occur.Must, Query.const_score_query(_ALL, boost))])
            for score, a in searcher.search(boosted, window, False, weight_by_field=weight).hits:
                best[(a.segment_ord, a.doc)] = (score, a)  # the same offer plus the ring's boost
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))  # ties: index order, as tantivy
        return [hit for _key, hit in ranked[plan.offset : window]], total

    def _heavy(self, plan: SearchPlan) -> bool:
        """Whether the plan's words, with nothing standing in for any, all required, match so many offers that a
        bounded ranking beats weighing every match: one word that at least HEAVY_MATCHES offers hold, or several
        each held by at least HEAVY_RAREST_WORD; and no filter that would leave far fewer. (A word's variants
        match far fewer than their counts suggest: there the bound rarely pays.)"""
        f, groups = plan.filters, plan.groups
        if plan.gtin is not None or not groups or plan.minimum_match < len(groups):
            return False
        if any(g.alternatives or g.optional for g in groups):
            return False
        if f.category or f.price_min is not None or f.price_max is not None:
            return False
        if f.vendor_ids is not None and len(f.vendor_ids) <= FEW_VENDORS:
            return False
        searcher = self.gen.searcher
        rarest = min(searcher.doc_freq(SCORED_FIELD, g.stem) for g in groups)
        return rarest >= (HEAVY_MATCHES if len(groups) == 1 else HEAVY_RAREST_WORD)

    def _weighed_top(
        self, searcher, query: Query, offset: int, limit: int, count: bool, weight: str | None, heavy: bool
    ):
        """The page by score, in-stock offers weighed by the factor: tantivy's ``weight_by_field``, or for words
        that match many offers, the same page from a ranking without the factor.

        The first BOUNDED_FETCH offers by words alone are weighed here, in tantivy's own 32-bit arithmetic. No
        offer below them can weigh more than the last one's score times the factor (the bound); if the page's
        last offer weighs more than that, the page is the weighed ranking's, scores and order among equal
        scores included (ties: index order). At the bound, it still is when every offer there is on the shelf
        at the last score (they precede any later such offer in index order); otherwise tantivy weighs.
        """
        if weight is None or not heavy:
            result = searcher.search(query, limit, count, offset=offset, weight_by_field=weight)
            return result.hits, result.count
        window = offset + limit
        fetch = max(BOUNDED_FETCH, 2 * window)
        result = searcher.search(query, fetch, count)
        addresses = [address for _score, address in result.hits]
        stocked = searcher.fast_field_values(weight, addresses) if addresses else []
        page = _bounded_page(result.hits, stocked, offset, window, complete=len(addresses) < fetch)
        if page is None:
            result = searcher.search(query, limit, count, offset=offset, weight_by_field=weight)
            return result.hits, result.count
        return page, result.count

    def _facets(self, searcher, query: Query, plan: SearchPlan) -> dict[str, Any]:
        aggs = {
            "vendor": {
                "terms": {
                    "field": "vendor_id",
                    "size": plan.facet_vendor_size,
                    "segment_size": _shard_size(plan.facet_vendor_size),
                }
            },
            "category": {"terms": {"field": category_facet_field(plan.filters.category), "size": FACET_CATEGORY_SIZE}},
            "price_stock": {"terms": {"field": PRICE_STOCK_FIELD, "size": 2 * len(PRICE_RANGES)}},
        }
        raw = searcher.aggregate(query, aggs)
        prices, stock = _price_and_stock_facets(raw.get("price_stock", {}).get("buckets", []))
        return {
            "vendor": {b["key"]: b["doc_count"] for b in raw.get("vendor", {}).get("buckets", [])},
            "category": {b["key"]: b["doc_count"] for b in raw.get("category", {}).get("buckets", [])},
            "price": [(lo, hi, n) for (lo, hi), n in zip(PRICE_RANGES, prices, strict=True)],
            "in_stock": stock,
        }

    def count(self, plan: SearchPlan) -> int:
        raw = self.gen.searcher.aggregate(self.build_query(plan, with_boosts=False), _COUNT)
        return int(raw["n"]["value"])  # an aggregation counts without scoring, unlike a search for its total

    def start_count(self, plan: SearchPlan) -> Callable[[], int]:
        pending = self._side.submit(lambda: self.count(plan))
        return pending.result

    def vendor_counts(self, plan: SearchPlan) -> dict[str, int]:
        """Matches by shop. A few shops (a distance sort's next group) are counted on the shop key column: the
        shop-name column's counting reads the index's term list for every shop (1M products, 8 shops: 0.45 ->
        0.30 ms a group); two of them with one key (never seen) are counted by name."""
        query = self.build_query(plan, with_boosts=False)
        shops = plan.filters.vendor_ids
        if shops is not None and len(shops) <= VENDOR_COUNT_BY_KEY:
            by_key = {vendor_key(v): v for v in shops}
            if len(by_key) == len(shops):
                agg = {"v": {"terms": {"field": VENDOR_KEY_FIELD, "size": max(len(shops), 1)}}}
                raw = self.gen.searcher.aggregate(query, agg)
                return {by_key[int(b["key"])]: b["doc_count"] for b in raw["v"]["buckets"]}
        size = max(len(shops), 1) if shops is not None else 65_000
        raw = self.gen.searcher.aggregate(query, {"v": {"terms": {"field": "vendor_id", "size": size}}})
        return {b["key"]: b["doc_count"] for b in raw["v"]["buckets"]}

    def suggest(self, words: list[str], prefix: str, limit: int) -> list[str]:
        schema = self.schema
        clauses = [(Occur.Must, Query.term_query(schema, SUGGEST_FIELD, prefix, index_option="basic"))]
        clauses += [(Occur.Must, Query.term_query(schema, SUGGEST_FIELD, w, index_option="basic")) for w in words]
        clauses.append(_NOT_GONE(schema))
        clauses.append((Occur.Should, Query.const_score_query(_in_stock(schema), 1.0)))
        searcher = self.gen.searcher
        result = searcher.search(Query.boolean_query(clauses), limit=limit * 5, count=False)
        titles: dict[str, None] = {}
        for _score, address in result.hits:
            titles.setdefault(_load(searcher.doc(address)).title, None)
            if len(titles) >= limit:
                break
        return list(titles)

    def stats(self) -> dict[str, Any]:
        searcher = self.gen.searcher
        size = _directory_size(self.gen.path)
        live = searcher.search(Query.term_query(self.schema, "state", LIVE), limit=1).count
        return {
            "backend": self.name,
            "documents": live,
            "tombstones": searcher.num_docs - live,
            "segments": searcher.num_segments,
            "size_bytes": size,
            "generation": os.path.basename(self.gen.path),
        }

    def close(self) -> None:
        self.gen.close()


class TantivyBuilder:
    """The next generation, filled by a rebuild while the current one keeps answering."""

    def __init__(self, backend: TantivyBackend, name: str, gen: _Generation):
        self.backend, self.name, self.gen = backend, name, gen
        self._uncommitted = 0

    def write(self, docs: list[ProductDoc]) -> None:
        for doc in docs:
            self.gen.writer.delete_documents_by_term("id", doc.id)
            self.gen.writer.add_document(to_tantivy(doc))
        self._uncommitted += len(docs)

    def load(self, docs: list[ProductDoc]) -> None:
        """Add documents whose ids this generation does not hold yet: no delete-by-id per document."""
        for doc in docs:
            self.gen.writer.add_document(to_tantivy(doc))
        self._uncommitted += len(docs)

    def get(self, ids: Iterable[str]) -> dict[str, ProductDoc]:
        self.commit()
        searcher = self.gen.searcher
        ids = list(ids)
        result = searcher.search(Query.term_set_query(self.backend.schema, "id", ids), limit=max(len(ids), 1))
        return {d.id: d for d in (_load(searcher.doc(a)) for _s, a in result.hits)}

    def commit(self) -> None:
        if self._uncommitted:
            self.gen.writer.commit()
            self.gen.index.reload()
            self.gen.searcher = self.gen.index.searcher()
            self._uncommitted = 0

    def finish(self) -> None:
        self.gen.writer.commit()
        self.gen.index.reload()
        self.gen.searcher = self.gen.index.searcher()
        self.backend._switch_to(self.name, self.gen)

    def abort(self) -> None:
        self.gen.close()
        shutil.rmtree(self.gen.path, ignore_errors=True)


def _directory_size(path: str) -> int:
    """Bytes under ``path``; files that a concurrent commit or merge removes meanwhile count as gone."""
    total = 0
    for dirpath, _dirs, names in os.walk(path):
        for name in names:
            try:
                total += os.path.getsize(os.path.join(dirpath, name))
            except FileNotFoundError:
                continue
    return total


def _load(document: tantivy.Document) -> ProductDoc:
    return ProductDoc.from_json(orjson.loads(document["doc"][0]))


class _Vocabulary:
    """The index's words by first letter, for typo correction, reread when older than a few seconds.

    A word that a commit just brought in may wait that long to become a typo correction; listing the
    terms on every query would cost more than the query itself. No searcher is kept: an old one would hold
    the files of segments that merges have removed.
    """

    def __init__(self, max_age: float = VOCABULARY_MAX_AGE):
        self.max_age = max_age
        self._by_letter: dict[str, tuple[float, list[str]]] = {}

    def starting_with(self, letter: str, searcher) -> list[str]:
        now = time.monotonic()
        cached = self._by_letter.get(letter)
        if cached is not None and now - cached[0] < self.max_age:
            return cached[1]
        terms = [term for term, _count in searcher.terms_with_prefix(VOCABULARY_FIELD, letter)]
        self._by_letter[letter] = (now, terms)
        return terms


def _shard_size(size: int) -> int:
    """Shops each segment reports for the shop facet: Elasticsearch's default per shard (size * 1.5 + 10).

    The counts are exact while no more shops than that match; beyond, a shop's count can miss the segments
    where it was not among the first, as Elasticsearch's can across shards. tantivy's own default (ten times
    the size) cost about 0.8 ms more per query at 1M products and 2,000 shops.
    """
    return int(size * 1.5) + 10


def _bounded_page(hits: list, stocked: list, offset: int, window: int, complete: bool) -> list | None:
    """The weighed page ``[offset:window]`` of a ranking's first hits (score, address), best first, or None
    when offers below them (``complete``: there are none) could still reach it. ``stocked`` is each hit's
    in-stock weight column; the factor is applied as tantivy would, in 32-bit floats."""
    if not hits:
        return []
    plain = np.fromiter((score for score, _a in hits), dtype=np.float32, count=len(hits))
    on_shelf = np.asarray(stocked, dtype=np.float64) > 0
    weighed = np.where(on_shelf, plain * STOCK_FACTOR_F32, plain)
    segments = np.fromiter((a.segment_ord for _s, a in hits), dtype=np.int64, count=len(hits))
    docs = np.fromiter((a.doc for _s, a in hits), dtype=np.int64, count=len(hits))
    order = np.lexsort((docs, segments, -weighed))  # ties: index order, as tantivy
    if not complete:
        bound = plain[-1] * STOCK_FACTOR_F32  # the most an offer below the first hits can weigh
        edge = weighed[order[min(window, len(hits)) - 1]]
        if edge < bound:
            return None
        if edge == bound and np.any((weighed == bound) & ~(on_shelf & (plain == plain[-1]))):
            return None  # an offer weighing the bound but not at the last score: its place among later ones is open
    return [(float(weighed[i]), hits[i][1]) for i in order[offset:window]]


class _Shops(NamedTuple):
    count: int  # shops with offers in the index
    #: each shop by its vendor key: a page's shops are read from the key column and looked up here, instead of
    #: hashing every allowed shop per query (747 shops: 0.6 ms, a new set for each shopper position)
    by_key: dict[int, str]
    sharing_a_key: frozenset[str]  # shops whose key another shop has: a filter naming one goes first, not after


def _rings_within(rings, allowed: frozenset[str]) -> tuple[tuple[frozenset[str], float], ...]:
    """The distance rings cut to the allowed shops: a shop the filter drops gets no boost to crowd the page."""
    return tuple((cut, boost) for ids, boost in rings if (cut := ids & allowed))


def _NOT_GONE(schema) -> tuple[Occur, Query]:  # noqa: N802 - reads as the clause it is
    return Occur.MustNot, Query.term_query(schema, "state", GONE)


class SideThread:
    """A real OS thread for native calls that run beside the caller's (the facets next to the top hits).

    tantivy lets go of the GIL while it searches, so both run on their own core. The modules are
    injectable: under eventlet the service passes the unpatched ``threading`` and ``queue``.
    """

    def __init__(self, threading_module=threading, queue_module=queue):
        self._threading, self._queue = threading_module, queue_module
        # Each thread needs the GIL between its native calls (to wake up, to turn tantivy's answer into Python
        # objects) while the other runs Python (loading the page's documents); CPython hands it over only every
        # switch interval, 5 ms by default, longer than most searches. Same 1M-product index, the benchmark's
        # queries replayed with each interval in turn: p50 2.54-2.88 ms at 5 ms, 2.38-2.67 ms at 1 ms.
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self._tasks = queue_module.SimpleQueue()
        self._lock = threading_module.Lock()
        self._thread = None

    def submit(self, fn) -> _Pending:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = self._threading.Thread(target=self._run, name="tantivy-side", daemon=True)
                self._thread.start()
        pending = _Pending(self._queue.SimpleQueue())
        self._tasks.put((fn, pending))
        return pending

    def _run(self) -> None:
        while True:
            fn, pending = self._tasks.get()
            try:
                pending.done.put((True, fn()))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller, who raises it
                pending.done.put((False, exc))


class _Pending:
    def __init__(self, done):
        self.done = done
        self._outcome = None

    def wait(self) -> None:
        if self._outcome is None:
            self._outcome = self.done.get()

    def result(self):
        self.wait()
        ok, value = self._outcome
        if ok:
            return value
        raise value


def _OUT_OF_STOCK(schema) -> tuple[Occur, Query]:  # noqa: N802 - reads as the clause it is
    return Occur.MustNot, Query.term_query(schema, "available", 0)


def _in_stock(schema) -> Query:
    """Offers on the shelf, as a scoring clause: "all but available 0" is cheaper than a range over the column."""
    return Query.boolean_query([(Occur.Must, Query.all_query()), _OUT_OF_STOCK(schema)])


def _vendors(schema, vendor_ids) -> Query:
    """A few shops as term queries (a term set costs a bitset over the whole index), many as a term set (which
    tantivy sorts itself: sorting 700 shops first cost 0.09 ms)."""
    if len(vendor_ids) <= FEW_VENDORS:
        ids = sorted(vendor_ids)
        return Query.boolean_query([(Occur.Should, Query.term_query(schema, "vendor_id", v)) for v in ids])
    return Query.term_set_query(schema, "vendor_id", list(vendor_ids))


__all__ = ["TantivyBackend", "GONE", "LIVE"]
