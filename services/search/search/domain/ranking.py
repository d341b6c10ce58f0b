"""Ranking rules shared by both backends: how strongly each signal counts (tuned on the Lindenau set)."""

from __future__ import annotations

#: an offer on the shelf scores this many times its relevance: a tie-breaker among equals. A factor, not an
#: added constant: tantivy multiplies by a per-document column for free, where a scoring clause for the stock
#: cost as much as the text query itself (a 1M-product index). Lindenau: nDCG@10 the same as +1.0 added.
IN_STOCK_FACTOR = 1.05
#: (radius km, added score): nearer shops rank first among otherwise equal offers
DISTANCE_RINGS: tuple[tuple[float, float], ...] = ((1.0, 0.6), (3.0, 0.4), (10.0, 0.2))
PHRASE_BOOST = 2.0  # query words next to each other in the title
PHRASE_SLOP = 1
COMPOUND_SPLIT_WEIGHT = 0.8  # "regenjacke" meeting "Regen" and "Jacke" as separate words
SYNONYM_WEIGHT = 0.8  # another word for the same thing ("kapuzenpullover" for "hoodie")
COMPOUND_PART_WEIGHT = 0.3  # one part standing for a compound, when the words as typed found nothing
QUALIFIER_WEIGHT = 0.5  # an optional qualifier of a long query ("... mit usb") counts this much of a head word
MAX_TYPO_EXPANSIONS = 3
FACET_VENDOR_SIZE = 50


def typo_weight(distance: int) -> float:
    return 0.7 if distance <= 1 else 0.5


def minimum_match(words: int) -> int:
    """How many query words a product must match: all of short queries, most of long ones."""
    if words <= 2:
        return words
    if words <= 4:
        return words - 1
    return max(1, round(words * 0.6))
