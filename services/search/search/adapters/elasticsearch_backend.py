"""The production backend: Elasticsearch 9 (client pinned to major 9), generated from the same field description.

The live index is reached through an alias; a rebuild fills a new concrete index and swaps the alias in one
``_aliases`` call. Every request body is built by a pure function here, so snapshot tests pin the exact JSON.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from ..domain import ranking
from ..domain.fields import (
    EDGE_PREFIX,
    GERMAN,
    KEYWORD_FIELDS,
    LIVE,
    NUMERIC_FIELDS,
    PHRASE_FIELD,
    PRICE_RANGES,
    SCORED_FIELD,
    SUGGEST_FIELD,
    TEXT_FIELDS,
    VOCABULARY_FIELD,
    WEIGHTED,
)
from ..domain.products import ProductDoc, category_facet_field
from ..domain.query import Alternative, SearchPlan, TermGroup
from ..ports import BackendResult

GERMAN_FILTERS = ["lowercase", "german_normalization", "marktplatz_german_stemmer"]


def analysis_settings() -> dict[str, Any]:
    """The German analysis of :mod:`search.domain.analysis`, as Elasticsearch analyzers.

    The scored field's compound pieces and repetitions are made in Python (search.domain.products), the
    same tokens for both backends: Elasticsearch receives them analysed and splits them on spaces.
    """
    return {
        "filter": {
            "marktplatz_german_stemmer": {"type": "snowball", "language": "German"},
            "marktplatz_edge": {"type": "edge_ngram", "min_gram": 1, "max_gram": 20},
        },
        "analyzer": {
            GERMAN: {"type": "custom", "tokenizer": "standard", "filter": GERMAN_FILTERS},
            EDGE_PREFIX: {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", "german_normalization", "marktplatz_edge"],
            },
            "marktplatz_words": {
                "type": "custom",
                "tokenizer": "standard",
                "filter": ["lowercase", "german_normalization"],
            },
        },
    }


def index_template(alias: str) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for f in TEXT_FIELDS:
        # the weighted field arrives analysed (by search.domain.products, as for tantivy): split on spaces only
        spec: dict[str, Any] = {"type": "text", "analyzer": "whitespace" if f.analyzer == WEIGHTED else f.analyzer}
        if f.analyzer == EDGE_PREFIX:
            spec["search_analyzer"] = "marktplatz_words"
        if not f.positions:
            spec["index_options"] = "freqs"
        properties[f.name] = spec
    for k in KEYWORD_FIELDS:
        properties[k.name] = {"type": "keyword"}
    for n in NUMERIC_FIELDS:
        properties[n.name] = {"type": "double" if n.kind == "float" else "long"}
    properties["doc"] = {"type": "object", "enabled": False}
    return {
        "index_patterns": [f"{alias}-*"],
        "template": {
            "settings": {"number_of_shards": 1, "refresh_interval": "1s", "analysis": analysis_settings()},
            "mappings": {"dynamic": "strict", "properties": properties},
        },
    }


def es_document(doc: ProductDoc) -> dict[str, Any]:
    source: dict[str, Any] = {
        f.name: " \n ".join(doc.source_text(s) for s in f.sources) for f in TEXT_FIELDS if f.analyzer != WEIGHTED
    }
    source[SCORED_FIELD] = " ".join(doc.analysed(SCORED_FIELD))
    source.update(
        id=doc.id,
        vendor_id=doc.vendor_id,
        gtin=doc.gtin,
        category_path=doc.category_paths(),
        **doc.category_levels(),
        state=doc.state,
        price=float(doc.price),
        available=doc.available,
        stock_version=doc.stock_version,
        changed_at=doc.changed_at,
        doc=doc.to_json(),
    )
    return source


def bulk_actions(index: str, docs: list[ProductDoc]) -> list[dict[str, Any]]:
    return [{"_op_type": "index", "_index": index, "_id": d.id, "_source": es_document(d)} for d in docs]


def _stem_query(stem: str) -> dict[str, Any]:
    return {"term": {SCORED_FIELD: stem}}  # BM25F over the weighted sources, as tantivy scores it


def _alternative(alt: Alternative) -> dict[str, Any]:
    if len(alt.stems) == 1:
        return {"bool": {"must": [_stem_query(alt.stems[0])], "boost": alt.weight}}
    return {"bool": {"must": [_stem_query(s) for s in alt.stems], "boost": alt.weight}}


def _group(group: TermGroup) -> dict[str, Any]:
    variants = [_stem_query(group.stem)] + [_alternative(a) for a in group.alternatives]
    return variants[0] if len(variants) == 1 else {"dis_max": {"queries": variants, "tie_breaker": 0.0}}


def search_query(plan: SearchPlan, with_boosts: bool = True) -> dict[str, Any]:
    f = plan.filters
    filters: list[dict[str, Any]] = [{"term": {"state": LIVE}}]
    if f.category:
        filters.append({"term": {"category_path": f.category}})
    if f.vendor_ids is not None:
        filters.append({"terms": {"vendor_id": sorted(f.vendor_ids)}})
    if f.in_stock:
        filters.append({"range": {"available": {"gte": 1}}})
    if f.price_min is not None or f.price_max is not None:
        bounds = {k: v for k, v in (("gte", f.price_min), ("lte", f.price_max)) if v is not None}
        filters.append({"range": {"price": bounds}})
    must: list[dict[str, Any]] = []
    should: list[dict[str, Any]] = []
    bool_query: dict[str, Any] = {"filter": filters}
    if plan.gtin is not None:
        must.append({"term": {"gtin": plan.gtin}})
    elif plan.groups:
        groups = [_group(g) for g in plan.groups if not g.optional]
        if plan.minimum_match >= len(groups):
            must.extend(groups)
        else:
            must.append({"bool": {"should": groups, "minimum_should_match": plan.minimum_match}})
        should.extend(
            {"bool": {"must": [_group(g)], "boost": ranking.QUALIFIER_WEIGHT}} for g in plan.groups if g.optional
        )
        if with_boosts and len(plan.phrase) > 1:
            should.append(
                {
                    "match_phrase": {
                        PHRASE_FIELD: {
                            "query": " ".join(plan.phrase),
                            "slop": ranking.PHRASE_SLOP,
                            "analyzer": "whitespace",
                            "boost": ranking.PHRASE_BOOST,
                        }
                    }
                }
            )
    else:
        must.append({"match_all": {}})
    if with_boosts:
        for vendor_ids, boost in plan.vendor_boosts:
            if vendor_ids:
                should.append(
                    {"constant_score": {"filter": {"terms": {"vendor_id": sorted(vendor_ids)}}, "boost": boost}}
                )
    bool_query["must"] = must
    if should:
        bool_query["should"] = should
    if with_boosts and plan.in_stock_first:
        return {
            "function_score": {
                "query": {"bool": bool_query},
                "functions": [{"filter": {"range": {"available": {"gte": 1}}}, "weight": ranking.IN_STOCK_FACTOR}],
                "boost_mode": "multiply",  # an offer no function matches keeps its score (times 1)
            }
        }
    return {"bool": bool_query}


def facet_aggregations(plan: SearchPlan) -> dict[str, Any]:
    ranges = [{k: v for k, v in (("from", lo), ("to", hi)) if v is not None} for lo, hi in PRICE_RANGES]
    return {
        "vendor": {"terms": {"field": "vendor_id", "size": plan.facet_vendor_size}},
        # the level the facet shows, as the embedded backend counts it: all paths at once could crowd a level out
        "category": {"terms": {"field": category_facet_field(plan.filters.category), "size": 500}},
        "price": {"range": {"field": "price", "ranges": ranges}},
        "stock": {"range": {"field": "available", "ranges": [{"to": 1}, {"from": 1}]}},
    }


def search_body(plan: SearchPlan) -> dict[str, Any]:
    body: dict[str, Any] = {
        "query": search_query(plan),
        "from": plan.offset,
        "size": plan.limit,
        "track_total_hits": True,
        "_source": ["doc"],
    }
    if plan.sort in ("price_asc", "price_desc"):
        body["sort"] = [{"price": "asc" if plan.sort == "price_asc" else "desc"}, "_score"]
    if plan.facets:
        body["aggs"] = facet_aggregations(plan)
    return body


def known_terms_body(stems: set[str]) -> dict[str, Any]:
    return {
        "size": 0,
        "aggs": {"known": {"filters": {"filters": {s: {"term": {VOCABULARY_FIELD: s}} for s in sorted(stems)}}}},
    }


#: the term suggester's defaults differ from the embedded backend's neighbours (search.adapters.tantivy_backend):
#: words of fewer than 4 letters get none (min_word_length 4; the embedded backend from 3), and neither does a
#: word in more than 1 % of the documents (max_term_freq 0.01), which the embedded backend still gives neighbours.
#: A max_term_freq above 1 is a number of documents: this one is never reached.
ANY_DOC_FREQ = 2**31 - 1


def similar_terms_body(stem: str, max_distance: int) -> dict[str, Any]:
    return {
        "size": 0,
        "suggest": {
            "typo": {
                "text": stem,
                "term": {
                    "field": VOCABULARY_FIELD,
                    "max_edits": max_distance,
                    "suggest_mode": "always",
                    "analyzer": "whitespace",
                    "size": 10,
                    "prefix_length": 1,
                    "min_word_length": 3,
                    "max_term_freq": ANY_DOC_FREQ,
                },
            }
        },
    }


def suggest_body(words: list[str], prefix: str, limit: int) -> dict[str, Any]:
    must = [{"term": {SUGGEST_FIELD: w}} for w in [prefix, *words]]
    return {
        "size": limit * 5,
        "query": {
            "bool": {
                "must": must,
                "filter": [{"term": {"state": LIVE}}],
                "should": [{"constant_score": {"filter": {"range": {"available": {"gte": 1}}}}}],
            }
        },
        "_source": ["doc.title"],
    }


class ElasticsearchBackend:
    name = "elasticsearch"

    def __init__(self, client, alias: str):
        self.client = client
        self.alias = alias
        #: a release's new fields are added to the live index in place (ensure_index); a new text field is
        #: empty in the documents already there, so the index must then be rebuilt from the catalog
        self.rebuild_reason: str | None = None

    @classmethod
    def connect(cls, url: str, alias: str) -> ElasticsearchBackend:
        from elasticsearch import Elasticsearch

        backend = cls(Elasticsearch(url, request_timeout=30), alias)
        backend.ensure_index()
        return backend

    def ensure_index(self) -> None:
        template = index_template(self.alias)
        self.client.indices.put_index_template(name=self.alias, **template)
        if not self.client.indices.exists_alias(name=self.alias):
            index = f"{self.alias}-{int(time.time() * 1000)}"
            self.client.indices.create(index=index, aliases={self.alias: {}})
        else:  # fields a newer release added (the index is strict): Elasticsearch takes additions in place
            live = self.client.indices.get_mapping(index=self.alias)
            known = {name for index in live.values() for name in index["mappings"].get("properties", {})}
            self.client.indices.put_mapping(index=self.alias, **template["template"]["mappings"])
            missing = sorted(f.name for f in TEXT_FIELDS if f.name not in known)
            if missing:
                self.rebuild_reason = f"the documents in {self.alias} have no {', '.join(missing)} yet"

    def known(self, stems: set[str]) -> set[str]:
        if not stems:
            return set()
        buckets = self.client.search(index=self.alias, **known_terms_body(stems))["aggregations"]["known"]["buckets"]
        return {s for s, b in buckets.items() if b["doc_count"] > 0}

    def similar(self, stem: str, max_distance: int) -> list[tuple[str, int]]:
        from ..domain.analysis import edit_distance

        if len(stem) < 3:
            return []  # as the embedded backend
        found = self.client.search(index=self.alias, **similar_terms_body(stem, max_distance))["suggest"]["typo"]
        terms = {o["text"] for entry in found for o in entry["options"]} - {stem}
        pairs = [(t, edit_distance(stem, t, max_distance)) for t in sorted(terms)]
        return [(t, d) for t, d in pairs if d <= max_distance]  # as the embedded backend: within the edits only

    def get(self, ids: Iterable[str]) -> dict[str, ProductDoc]:
        ids = list(ids)
        if not ids:
            return {}
        found = self.client.mget(index=self.alias, ids=ids, source=["doc"])["docs"]
        return {d["_id"]: ProductDoc.from_json(d["_source"]["doc"]) for d in found if d.get("found")}

    def write(self, docs: list[ProductDoc], index: str | None = None) -> None:
        from elasticsearch.helpers import bulk

        bulk(self.client, bulk_actions(index or self.alias, docs), refresh="wait_for")

    def execute(self, plan: SearchPlan) -> BackendResult:
        response = self.client.search(index=self.alias, **search_body(plan))
        hits = [(ProductDoc.from_json(h["_source"]["doc"]), h.get("_score") or 0.0) for h in response["hits"]["hits"]]
        facets = {}
        if plan.facets:
            aggs = response["aggregations"]
            stock = aggs["stock"]["buckets"]
            facets = {
                "vendor": {b["key"]: b["doc_count"] for b in aggs["vendor"]["buckets"]},
                "category": {b["key"]: b["doc_count"] for b in aggs["category"]["buckets"]},
                "price": [
                    (lo, hi, b["doc_count"]) for (lo, hi), b in zip(PRICE_RANGES, aggs["price"]["buckets"], strict=True)
                ],
                "in_stock": {"true": stock[1]["doc_count"], "false": stock[0]["doc_count"]},
            }
        return BackendResult(response["hits"]["total"]["value"], hits, facets)

    def count(self, plan: SearchPlan) -> int:
        return self.client.count(index=self.alias, query=search_query(plan, with_boosts=False))["count"]

    def start_count(self, plan: SearchPlan) -> Callable[[], int]:
        total = self.count(plan)  # the cluster answers in parallel already; nothing to overlap here
        return lambda: total

    def vendor_counts(self, plan: SearchPlan) -> dict[str, int]:
        size = len(plan.filters.vendor_ids) if plan.filters.vendor_ids is not None else 65_000
        body = {
            "size": 0,
            "query": search_query(plan, with_boosts=False),
            "aggs": {"v": {"terms": {"field": "vendor_id", "size": max(size, 1)}}},
        }
        buckets = self.client.search(index=self.alias, **body)["aggregations"]["v"]["buckets"]
        return {b["key"]: b["doc_count"] for b in buckets}

    def suggest(self, words: list[str], prefix: str, limit: int) -> list[str]:
        hits = self.client.search(index=self.alias, **suggest_body(words, prefix, limit))["hits"]["hits"]
        return list(dict.fromkeys(h["_source"]["doc"]["title"] for h in hits))[:limit]

    def stats(self) -> dict[str, Any]:
        stats = self.client.indices.stats(index=self.alias)["_all"]["primaries"]
        return {
            "backend": self.name,
            "documents": stats["docs"]["count"],
            "size_bytes": stats["store"]["size_in_bytes"],
            "generation": self.alias,
        }

    def start_rebuild(self) -> ElasticsearchBuilder:
        return ElasticsearchBuilder(self, f"{self.alias}-{int(time.time() * 1000)}")

    def close(self) -> None:
        self.client.close()

    def delete_everything(self) -> None:
        from elasticsearch import Elasticsearch

        client = Elasticsearch(self.client.transport.node_pool.get().base_url)
        client.indices.delete(index=f"{self.alias}-*", ignore_unavailable=True)
        client.indices.delete_index_template(name=self.alias)


def alias_swap_actions(alias: str, new_index: str) -> dict[str, Any]:
    return {
        "actions": [{"remove": {"index": f"{alias}-*", "alias": alias}}, {"add": {"index": new_index, "alias": alias}}]
    }


class ElasticsearchBuilder:
    def __init__(self, backend: ElasticsearchBackend, index: str):
        self.backend, self.index = backend, index
        backend.client.indices.create(index=index)

    def write(self, docs: list[ProductDoc]) -> None:
        from elasticsearch.helpers import bulk

        bulk(self.backend.client, bulk_actions(self.index, docs))

    def load(self, docs: list[ProductDoc]) -> None:
        self.write(docs)  # keyed by _id: a bulk index needs no lookup either

    def finish(self) -> None:
        client = self.backend.client
        client.indices.refresh(index=self.index)
        old = list(client.indices.get_alias(name=self.backend.alias))
        client.indices.update_aliases(**alias_swap_actions(self.backend.alias, self.index))
        self.backend.rebuild_reason = None
        for index in old:
            if index != self.index:
                client.indices.delete(index=index)

    def abort(self) -> None:
        self.backend.client.indices.delete(index=self.index, ignore_unavailable=True)
