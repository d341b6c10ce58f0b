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


@dataclass(frozen=True)
class TextField:
    """A searchable text field: ``sources`` are the product attributes whose text feeds it."""

    name: str
    analyzer: str
    sources: tuple[str, ...]
    boost: float = 0.0  # weight in relevance scoring; 0 = not scored (vocabulary, autocomplete)
    positions: bool = False  # needed for phrase proximity


@dataclass(frozen=True)
class KeywordField:
    name: str
    multi: bool = False
    facet: bool = False


@dataclass(frozen=True)
class NumericField:
    name: str
    kind: str  # "float" | "integer"


TEXT_FIELDS: tuple[TextField, ...] = (
    TextField("title", GERMAN, ("title",), boost=2.0, positions=True),
    TextField("brand", GERMAN, ("brand",), boost=2.5),
    TextField("category", GERMAN, ("category",), boost=3.0),
    TextField("attributes", GERMAN, ("attributes",), boost=1.5),
    TextField("description", GERMAN, ("description",), boost=0.5),
    TextField("parts", COMPOUND_PARTS, ("title", "category", "attributes", "description"), boost=1.0),
    TextField("all", GERMAN, ("title", "brand", "category", "attributes", "description")),
    TextField("suggest", EDGE_PREFIX, ("title", "brand")),
)
SCORED_FIELDS = tuple(f for f in TEXT_FIELDS if f.boost > 0)
VOCABULARY_FIELD = "all"  # the field whose terms tell which words the index knows (typos, compounds)
PHRASE_FIELD = "title"
SUGGEST_FIELD = "suggest"

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
