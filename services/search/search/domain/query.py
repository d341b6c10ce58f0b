"""The query model: a shopper's request, validated, and the backend-neutral plan that answers it."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from marktplatz_shared.errors import InvalidInput

from . import analysis, ranking
from .synonyms import BUILT_IN_SYNONYMS, Synonyms

MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 12
MAX_PER_PAGE = 100
MAX_RESULT_WINDOW = 10_000  # page * per_page beyond this is refused, like Elasticsearch's max_result_window
SORTS = ("relevance", "distance", "price_asc", "price_desc")
FULFILMENT = ("pickup", "delivery")
GTIN = re.compile(r"^\d{13}$")


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    lat: float | None = None
    lon: float | None = None
    max_km: float | None = None
    category: str | None = None
    vendor_id: str | None = None
    in_stock: bool = False
    price_min: float | None = None
    price_max: float | None = None
    fulfilment: str | None = None
    open_now: bool = False
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    facets: bool = True

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def has_position(self) -> bool:
        return self.lat is not None and self.lon is not None

    @classmethod
    def parse(cls, raw: Any) -> SearchRequest:
        """Validate a ``search(query)`` argument; raise InvalidInput naming every bad field."""
        if not isinstance(raw, dict):
            raise InvalidInput("the query must be an object", {"query": ["must be an object"]})
        errors: dict[str, list[str]] = {}
        known = set(cls.__dataclass_fields__)
        for key in raw:
            if key not in known:
                errors[key] = ["unknown field"]

        def number(key, lo=None, hi=None):
            value = raw.get(key)
            if value is None or value == "":
                return None
            try:
                value = float(value)
            except (TypeError, ValueError):
                errors[key] = ["must be a number"]
                return None
            if not math.isfinite(value) or (lo is not None and value < lo) or (hi is not None and value > hi):
                errors[key] = [f"must be between {lo} and {hi}"]
                return None
            return value

        def integer(key, default, lo, hi):
            value = raw.get(key, default)
            if value is None:
                return default
            if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
                errors[key] = ["must be an integer"]
                return default
            value = int(value)
            if not lo <= value <= hi:
                errors[key] = [f"must be between {lo} and {hi}"]
                return default
            return value

        def text(key, max_len):
            value = raw.get(key)
            if value is None:
                return None
            if not isinstance(value, str):
                errors[key] = ["must be a string"]
                return None
            if len(value) > max_len:
                errors[key] = [f"must be at most {max_len} characters"]
                return None
            return value.strip() or None

        q = text("q", MAX_QUERY_LENGTH) or ""
        lat, lon = number("lat", -90, 90), number("lon", -180, 180)
        if (lat is None) != (lon is None):
            errors["lat"] = ["lat and lon go together"]
        max_km = number("max_km", 0, 20_000)
        sort = raw.get("sort") or "relevance"
        if sort not in SORTS:
            errors["sort"] = [f"must be one of {', '.join(SORTS)}"]
        if (max_km is not None or sort == "distance") and (lat is None or lon is None):
            errors.setdefault("lat", []).append("a position (lat, lon) is needed for max_km and sort=distance")
        fulfilment = raw.get("fulfilment")
        if fulfilment is not None and fulfilment not in FULFILMENT:
            errors["fulfilment"] = [f"must be one of {', '.join(FULFILMENT)}"]
        price_min, price_max = number("price_min", 0), number("price_max", 0)
        if price_min is not None and price_max is not None and price_min > price_max:
            errors["price_min"] = ["must not exceed price_max"]
        for flag in ("in_stock", "open_now", "facets"):
            if flag in raw and not isinstance(raw[flag], bool | None):
                errors[flag] = ["must be true or false"]
        page = integer("page", 1, 1, 1_000_000)
        per_page = integer("per_page", 20, 1, MAX_PER_PAGE)
        if "page" not in errors and page * per_page > MAX_RESULT_WINDOW:
            errors["page"] = [f"page * per_page must not exceed {MAX_RESULT_WINDOW}; narrow the search instead"]
        if errors:
            raise InvalidInput(
                "invalid search query: " + "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()), errors
            )
        return cls(
            q=q,
            lat=lat,
            lon=lon,
            max_km=max_km,
            category=text("category", 300),
            vendor_id=text("vendor_id", 64),
            in_stock=bool(raw.get("in_stock")),
            price_min=price_min,
            price_max=price_max,
            fulfilment=fulfilment,
            open_now=bool(raw.get("open_now")),
            sort=sort,
            page=page,
            per_page=per_page,
            facets=raw.get("facets") is not False,
        )


class Vocabulary(Protocol):
    """What the index knows of words: lets the plan correct typos and split compounds (a port)."""

    def known(self, stems: set[str]) -> set[str]: ...

    def similar(self, stem: str, max_distance: int) -> list[tuple[str, int]]: ...


@dataclass(frozen=True)
class Alternative:
    stems: tuple[str, ...]  # all must match (one stem, or the parts of a split compound)
    weight: float


@dataclass(frozen=True)
class TermGroup:
    """One query word: its stem, and what else may stand for it (a typo correction, compound parts)."""

    word: str
    stem: str
    alternatives: tuple[Alternative, ...] = ()
    optional: bool = False  # a qualifier of a long query ("... für den gepäckträger"): scores, need not match
    parts: tuple[str, ...] = ()  # known stems of the word's compound parts ("heiz", "lufter" of "heizlüfter")


@dataclass(frozen=True)
class Filters:
    category: str | None = None
    vendor_ids: frozenset[str] | None = None  # None: any vendor
    in_stock: bool = False
    price_min: float | None = None
    price_max: float | None = None


@dataclass(frozen=True)
class SearchPlan:
    """What a backend executes: text clauses, filters, ranking boosts, sort and the window to return."""

    groups: tuple[TermGroup, ...] = ()
    minimum_match: int = 0  # of the required (not optional) groups
    gtin: str | None = None
    phrase: tuple[str, ...] = ()
    filters: Filters = field(default_factory=Filters)
    vendor_boosts: tuple[tuple[frozenset[str], float], ...] = ()  # nearer shops first among equals
    in_stock_first: bool = True  # offers on the shelf score ranking.IN_STOCK_FACTOR times as much
    sort: str = "relevance"
    offset: int = 0
    limit: int = 20
    facets: bool = True
    facet_vendor_size: int = ranking.FACET_VENDOR_SIZE

    @property
    def matches_everything(self) -> bool:
        return not self.groups and self.gtin is None

    def broadened(self) -> SearchPlan | None:
        """The plan letting one part of a compound stand for it, far below the whole: for when the words as
        typed find nothing ("blumenstrauß" meeting "Blumen & Pflanzen"). None if no word has known parts."""
        if not any(g.parts for g in self.groups):
            return None
        groups = tuple(
            replace(
                g,
                alternatives=g.alternatives + tuple(Alternative((p,), ranking.COMPOUND_PART_WEIGHT) for p in g.parts),
            )
            for g in self.groups
        )
        return replace(self, groups=groups)


def build_text_plan(
    q: str, vocabulary: Vocabulary, synonyms: Synonyms = BUILT_IN_SYNONYMS
) -> tuple[tuple[TermGroup, ...], int, str | None, tuple[str, ...]]:
    """Analyse the query text into term groups, the number that must match, a GTIN and the phrase.

    A long, natural-language query is read as a head and its qualifiers: the words before the first stop
    word ("wasserdichte fahrradtasche" of "... für den gepäckträger") must match, the words after it only
    add to the score. A word negated by "nicht", "ohne" or "kein" is not looked for at all. A word's
    synonyms that the index knows stand in for it ("hoodie": "kapuzenpullover"); a word with some is taken
    as meant, not corrected as a typo.
    """
    q = q.strip()
    if GTIN.match(q):
        return (), 0, q, ()
    qwords, optional = _read_query(q)
    qstems = [analysis.stem(w) for w in qwords]
    known = vocabulary.known(set(qstems)) if qstems else set()
    groups = []
    for word, s, opt in zip(qwords, qstems, optional, strict=True):
        alternatives, parts = _compound_alternatives(word, vocabulary)
        alternatives.extend(_synonym_alternatives(s, synonyms, vocabulary))
        if s not in known and not alternatives:
            alternatives.extend(_typo_alternatives(word, s, vocabulary))
        groups.append(TermGroup(word, s, tuple(alternatives), opt, parts))
    head = [s for s, opt in zip(qstems, optional, strict=True) if not opt]
    return tuple(groups), ranking.minimum_match(len(head)), None, tuple(head)


def _read_query(q: str) -> tuple[list[str], list[bool]]:
    """The meaningful words of a query (without repeats and negated words) and which of them are qualifiers."""
    out: dict[str, bool] = {}
    in_head, negated = True, False
    for w in analysis.words(q):
        if w in analysis.NEGATIONS:
            negated, in_head = True, in_head and not out
            continue
        if w in analysis.STOP_WORDS:
            in_head = in_head and not out
            continue
        if negated:
            negated = False
            continue
        out.setdefault(w, not in_head)
        if len(out) >= MAX_QUERY_WORDS:
            break
    return list(out), list(out.values())


def _compound_alternatives(word: str, vocabulary: Vocabulary) -> tuple[list[Alternative], tuple[str, ...]]:
    """Both parts of a compound as an alternative, if the index knows both; and the parts it knows of the
    split that it knows most of (longest tail first), for a broadened search."""
    splits = list(dict.fromkeys(analysis.compound_splits(word)))
    if not splits:
        return [], ()
    known = vocabulary.known({s for pair in splits for s in pair})
    ranked = sorted(splits, key=lambda p: (-(p[0] in known) - (p[1] in known), -len(p[1])))
    parts = tuple(s for s in ranked[0] if s in known)
    for head, tail in ranked:
        if head in known and tail in known:
            return [Alternative((head, tail), ranking.COMPOUND_SPLIT_WEIGHT)], parts
    return [], parts


def _synonym_alternatives(stem: str, synonyms: Synonyms, vocabulary: Vocabulary) -> list[Alternative]:
    """The stem's synonyms whose every word the index knows (one it does not know could match nothing)."""
    entries = synonyms.of(stem)
    if not entries:
        return []
    known = vocabulary.known({s for entry in entries for s in entry})
    return [Alternative(entry, ranking.SYNONYM_WEIGHT) for entry in entries if known.issuperset(entry)]


def _typo_alternatives(word: str, stem: str, vocabulary: Vocabulary) -> list[Alternative]:
    """Known terms within the tolerated edits of the word as typed or of its stem (a typo can fool the stemmer)."""
    distance = analysis.typo_distance(word)
    if not distance:
        return []
    best: dict[str, int] = {}
    for form in dict.fromkeys((stem, word)):
        for term, d in vocabulary.similar(form, distance):
            best[term] = min(d, best.get(term, d))
    found = sorted(best.items(), key=lambda t: (t[1], t[0]))[: ranking.MAX_TYPO_EXPANSIONS]
    return [Alternative((term,), ranking.typo_weight(d)) for term, d in found]
