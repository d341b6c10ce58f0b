"""Snapshots of the exact JSON the Elasticsearch backend sends: index template, queries, bulk bodies.

A change to the request bodies fails here; after checking it is intended, refresh the snapshots with
``UPDATE_SNAPSHOTS=1 make test``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from search.adapters import elasticsearch_backend as es
from search.domain.products import ProductDoc
from search.domain.query import Alternative, Filters, SearchPlan, TermGroup

SNAPSHOTS = Path(__file__).parent / "snapshots"

JACKET = ProductDoc(
    vendor_id="v-1",
    sku="J1",
    gtin="4006381333931",
    title="Damen Regenjacke, gelb",
    description="Wasserdicht.",
    brand="Rainwear",
    category="Mode > Damen > Jacken",
    price="79.90",
    attributes={"farbe": "gelb"},
    available=3,
    stock_version=2,
    changed_at=1747216800.0,
)

PLAN = SearchPlan(
    groups=(
        TermGroup("regenjacke", "regenjack", (Alternative(("reg", "jack"), 0.8),)),
        TermGroup("gleb", "gleb", (Alternative(("gelb",), 0.7),)),
    ),
    minimum_match=2,
    phrase=("regenjack", "gleb"),
    filters=Filters(category="Mode", vendor_ids=frozenset({"v-1", "v-2"}), in_stock=True, price_min=10.0),
    vendor_boosts=((frozenset({"v-1"}), 0.6),),
    sort="price_asc",
    offset=20,
    limit=20,
)


def check(name: str, body) -> None:
    path = SNAPSHOTS / f"{name}.json"
    text = json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_SNAPSHOTS") or not path.exists():
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"the request body {name} changed"


@pytest.mark.parametrize(
    "name, body",
    [
        ("index_template", es.index_template("marktplatz-products")),
        ("search_text_filters_price_sort", es.search_body(PLAN)),
        (
            "search_long_query",
            es.search_body(
                SearchPlan(
                    groups=(TermGroup("fahrradlicht", "fahrradlicht"), TermGroup("usb", "usb", optional=True)),
                    minimum_match=1,
                    phrase=("fahrradlicht",),
                    facets=False,
                )
            ),
        ),
        ("search_gtin", es.search_body(SearchPlan(gtin="4006381333931", facets=False))),
        ("bulk_actions", es.bulk_actions("marktplatz-products", [JACKET, JACKET.tombstone(1747216900.0)])),
        ("known_terms", es.known_terms_body({"regenjack", "gelb"})),
        ("similar_terms", es.similar_terms_body("schokold", 2)),
        ("suggest", es.suggest_body(["fahrrad"], "hel", 10)),
        ("alias_swap", es.alias_swap_actions("marktplatz-products", "marktplatz-products-1747216800000")),
    ],
)
def test_the_elasticsearch_request_bodies_match_their_snapshots(name, body):
    check(name, body)


def test_the_index_template_is_generated_from_the_one_field_description():
    from search.domain.fields import KEYWORD_FIELDS, NUMERIC_FIELDS, TEXT_FIELDS, WEIGHTED

    properties = es.index_template("p")["template"]["mappings"]["properties"]
    for f in TEXT_FIELDS:  # the weighted field comes analysed in Python: Elasticsearch splits it on spaces
        assert properties[f.name]["analyzer"] == ("whitespace" if f.analyzer == WEIGHTED else f.analyzer)
    assert {k.name for k in KEYWORD_FIELDS} | {n.name for n in NUMERIC_FIELDS} < set(properties)
    analyzers = es.index_template("p")["template"]["settings"]["analysis"]["analyzer"]
    assert {f.analyzer for f in TEXT_FIELDS} - {WEIGHTED} <= set(analyzers)


def test_the_scored_field_carries_the_same_tokens_to_elasticsearch_as_to_tantivy():
    source = es.es_document(JACKET)
    assert source["scored"].split() == JACKET.analysed_fields()["scored"]
    assert source["scored"].split().count("gelb") == 4 + 3  # in the title (weight 2) and the attributes (1.5)
    assert "brand" not in source and "parts" not in source


class _Indices:
    """The index API of a cluster holding an index written by an earlier release (title and brand only)."""

    def __init__(self):
        self.calls = []

    def put_index_template(self, **kwargs):
        self.calls.append("put_index_template")

    def exists_alias(self, name):
        return True

    def get_mapping(self, index):
        return {f"{index}-1": {"mappings": {"properties": {"title": {}, "brand": {}, "all": {}, "suggest": {}}}}}

    def put_mapping(self, index, **mappings):
        self.calls.append("put_mapping")


class _Client:
    def __init__(self):
        self.indices = _Indices()


def test_a_live_index_without_a_text_field_of_this_release_gets_it_and_asks_for_a_rebuild():
    backend = es.ElasticsearchBackend(_Client(), "products")
    backend.ensure_index()
    assert backend.client.indices.calls == ["put_index_template", "put_mapping"]
    assert backend.rebuild_reason == "the documents in products have no scored yet"


class _Suggesting:
    """A cluster answering the term suggester as Elasticsearch does: options within max_edits by its own distance."""

    def __init__(self, options):
        self.options, self.bodies = options, []

    def search(self, index, **body):
        self.bodies.append(body)
        return {"suggest": {"typo": [{"text": body["suggest"]["typo"]["text"], "options": self.options}]}}


def test_neighbours_from_the_term_suggester_are_the_embedded_backends_within_the_edits_not_the_word_itself():
    client = _Suggesting([{"text": t, "score": 0.8, "freq": 3} for t in ("schokolad", "schokold", "schoko")])
    backend = es.ElasticsearchBackend(client, "products")
    # "schoko" is 2 edits away, "schokold" is the word itself: the embedded backend gives neither at 1 edit
    assert backend.similar("schokold", 1) == [("schokolad", 1)]
    assert backend.similar("schokold", 2) == [("schoko", 2), ("schokolad", 1)]
    term = client.bodies[-1]["suggest"]["typo"]["term"]
    assert term["min_word_length"] == 3, "a 3-letter word gets neighbours, as in the embedded backend"
    assert term["max_term_freq"] > 1, "a word in many documents too (above 1: a number of documents)"
    assert backend.similar("ab", 1) == [] and len(client.bodies) == 2, "2 letters: no request, no neighbours"


def test_the_category_facet_counts_the_level_below_the_filter_as_the_embedded_backend_does():
    def counted(category):
        plan = SearchPlan(groups=(), minimum_match=0, filters=Filters(category=category), facets=True)
        return es.facet_aggregations(plan)["category"]["terms"]["field"]

    assert counted(None) == "category_l1"
    assert counted("Mode") == "category_l2"
    assert counted("Mode > Damen > Jacken > Regen") == "category_path", "below the deepest level field: all paths"
