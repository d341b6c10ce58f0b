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
    from search.domain.fields import KEYWORD_FIELDS, NUMERIC_FIELDS, TEXT_FIELDS

    properties = es.index_template("p")["template"]["mappings"]["properties"]
    for f in TEXT_FIELDS:
        assert properties[f.name]["analyzer"] == f.analyzer
    assert {k.name for k in KEYWORD_FIELDS} | {n.name for n in NUMERIC_FIELDS} < set(properties)
    analyzers = es.index_template("p")["template"]["settings"]["analysis"]["analyzer"]
    assert {f.analyzer for f in TEXT_FIELDS} <= set(analyzers)
