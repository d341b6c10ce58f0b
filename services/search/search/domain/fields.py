"""The one description of the index: its fields, what feeds them, how they are analysed and weighted.

Both backends are generated from it: the tantivy schema and documents (analysis done in Python by
:mod:`search.domain.analysis`) and the Elasticsearch index template (the same analysis as ES analyzers).
"""

from __future__ import annotations

from dataclasses import dataclass

# analyzers (names shared by the Python pipeline and the ES settings)
GERMAN = "german_text"  # lowercase, german normalisation, snowball German
COMPOUND_PARTS = "german_compound_parts"  # leading pieces and stemmed trailing pieces of long words
EDGE_PREFIX = "edge_prefix"  # every leading piece of every word (autocomplete)
KEYWORD = "keyword"  # the value as it is
WEIGHTED = "weighted_sources"  # the tokens of several sources, each repeated by its weight (see SCORED_SOURCES)


@dataclass(frozen=True)
class TextField:
    """A searchable text field: ``sources`` are the product attributes whose text feeds it."""

    name: str
    analyzer: str
    sources: tuple[str, ...]
    positions: bool = False  # needed for phrase proximity


@dataclass(frozen=True)
class ScoredSource:
    """One part of the scored field: ``sources`` analysed by ``analyzer``, counted ``weight`` times."""

    name: str
    analyzer: str
    sources: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class KeywordField:
    name: str
    multi: bool = False
    facet: bool = False


@dataclass(frozen=True)
class NumericField:
    name: str
    kind: str  # "float" | "integer"


#: What relevance is scored on, as one field: BM25F. Each source's tokens are repeated ``weight *
#: SCORED_REPEAT`` times (at least once), so a word in the category counts as three in the description; the
#: term frequencies add up before they saturate and the field's length is the weighted length. One term per
#: query word instead of one per source field: 2-3x faster at 1M products than a dis_max over six fields,
#: and on the Lindenau set nDCG@10 0.908 against 0.907.
SCORED_SOURCES: tuple[ScoredSource, ...] = (
    ScoredSource("title", GERMAN, ("title",), 2.0),
    ScoredSource("brand", GERMAN, ("brand",), 2.5),
    ScoredSource("category", GERMAN, ("category",), 3.0),
    ScoredSource("attributes", GERMAN, ("attributes",), 1.5),
    ScoredSource("description", GERMAN, ("description",), 0.5),
    ScoredSource("parts", COMPOUND_PARTS, ("title", "category", "attributes", "description"), 1.0),
)
SCORED_REPEAT = 2  # repetitions per unit of weight: 0.5 -> 1, 2.5 -> 5
SCORED_FIELD = "scored"

TEXT_FIELDS: tuple[TextField, ...] = (
    TextField("title", GERMAN, ("title",), positions=True),
    TextField(SCORED_FIELD, WEIGHTED, tuple(dict.fromkeys(s for part in SCORED_SOURCES for s in part.sources))),
    TextField("all", GERMAN, ("title", "brand", "category", "attributes", "description")),
    TextField("suggest", EDGE_PREFIX, ("title", "brand")),
)
VOCABULARY_FIELD = "all"  # the field whose terms tell which words the index knows (typos, compounds)
PHRASE_FIELD = "title"
SUGGEST_FIELD = "suggest"


def repetitions(source: ScoredSource) -> int:
    return max(1, round(source.weight * SCORED_REPEAT))


CATEGORY_LEVELS = 4  # category_l1..category_l4; a facet below the fourth level counts category_path instead

KEYWORD_FIELDS: tuple[KeywordField, ...] = (
    KeywordField("id"),
    KeywordField("vendor_id", facet=True),
    KeywordField("gtin"),
    KeywordField("category_path", multi=True, facet=True),  # every level: "Mode", "Mode > Herren", ...
    # the path down to one level, one value per product: the category facet counts one level, and a
    # single-valued column counts several times faster than the multi-valued category_path
    *(KeywordField(f"category_l{n}", facet=True) for n in range(1, CATEGORY_LEVELS + 1)),
    KeywordField("state"),  # "live" or "gone" (a withdrawn product's tombstone keeps ordering safe)
)
NUMERIC_FIELDS: tuple[NumericField, ...] = (
    NumericField("price", "float"),
    NumericField("available", "integer"),
    NumericField("stock_version", "integer"),
    NumericField("changed_at", "float"),  # occurred_at of the last product event applied (epoch seconds)
)


def category_level_field(depth: int) -> str | None:
    """The field counting the categories ``depth`` levels down (1 = the top level), if there is one."""
    return f"category_l{depth}" if 1 <= depth <= CATEGORY_LEVELS else None


LIVE = "live"
GONE = "gone"

#: price facet buckets in EUR: [from, to)
PRICE_RANGES: tuple[tuple[float | None, float | None], ...] = (
    (None, 10.0),
    (10.0, 25.0),
    (25.0, 50.0),
    (50.0, 100.0),
    (100.0, 250.0),
    (250.0, None),
)
