"""German text analysis, done the same way for documents and queries.

The pipeline mirrors the Elasticsearch analyzers generated from :mod:`search.domain.fields`:
lower-casing, German normalisation (ä/ae -> a, ö/oe -> o, ü/ue -> u, ß -> ss, accents dropped),
tokens of letters and digits, German stop words removed from queries, Snowball German stemming.

Compound words are met from both sides:

- at index time :func:`compound_parts` adds the leading and trailing pieces of long words to a separate field,
  so the query "jacke" (or "jacke regen") meets "Regenjacke";
- at query time a word that the index does not know as a whole is split against the index's vocabulary
  (:func:`compound_splits`), so "regenjacke" meets "Jacke für den Regen".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer

#: words that carry no meaning in a product query (the Snowball German list, folded like the tokens)
STOP_WORDS = frozenset(
    """
    aber alle allem allen aller alles als also am an ander andere anderem anderen anderer anderes anderm andern
    anders auch auf aus bei bin bis bist da damit dann das dass dasselbe dazu dein deine deinem deinen deiner
    dem demselben den denn denselben der derer derselbe derselben des desselben dessen dich die dies diese
    dieselbe dieselben diesem diesen dieser dieses dir doch dort du durch ein eine einem einen einer eines einig
    einige einigem einigen einiger einiges einmal er es etwas euch euer eure eurem euren eurer eures fur gegen
    gewesen hab habe haben hat hatte hatten hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres
    im in indem ins ist jede jedem jeden jeder jedes jene jenem jenen jener jenes jetzt kann kein keine keinem
    keinen keiner keines konnen konnte machen man manche manchem manchen mancher manches mein meine meinem
    meinen meiner meines mich mir mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr sein seine
    seinem seinen seiner seines selbst sich sie sind so solche solchem solchen solcher solches soll sollte
    sondern sonst uber um und uns unsere unserem unseren unser unseres unter viel vom von vor wahrend war waren
    warst was weg weil weiter welche welchem welchen welcher welches wenn werde werden wie wieder will wir wird
    wirst wo wollen wollte wurde wurden zu zum zur zwar zwischen
    """.split()
)

#: words that negate the next meaningful word of a query ("nicht zu bitter", "ohne zucker")
NEGATIONS = frozenset({"nicht", "ohne", "kein", "keine", "keinen", "keinem", "keiner", "keines"})

#: letters that join the parts of a German compound ("Arbeit-s-platz", "Blume-n-topf")
LINKING_MORPHEMES = ("", "s", "es", "n", "en", "e", "er")

MIN_PREFIX_PART = 4  # a leading piece shorter than this is noise ("reg" of "regenjacke")
MIN_SUFFIX_PART = 3  # "tee" of "Kräutertee" is a word of its own
MIN_COMPOUND = 6

_FOLD = [("ß", "ss"), ("ä", "a"), ("ö", "o"), ("ü", "u")]
_DIGRAPH = re.compile(r"(?<!q)(ae|oe|ue)")  # ES german_normalization: "ue" after "q" stays ("quelle")
_TOKEN = re.compile(r"[a-z0-9]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_stemmer = snowballstemmer.stemmer("german")


def normalize(text: str) -> str:
    """Lower-case, fold umlauts and their ae/oe/ue spellings, drop accents and control characters."""
    text = _CONTROL.sub(" ", text.lower())
    for umlaut, plain in _FOLD:
        text = text.replace(umlaut, plain)
    text = _DIGRAPH.sub(lambda m: m.group(1)[0], text)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return text


def words(text: str) -> list[str]:
    """The normalised words of a text, in order (stop words kept: they hold positions for phrases)."""
    return _TOKEN.findall(normalize(text))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """Snowball German stem of a normalised word; numbers and short words stay as they are."""
    if len(word) < 4 or not word.isalpha():
        return word
    return _stemmer.stemWord(word)


def stems(text: str) -> list[str]:
    return [stem(w) for w in words(text)]


def query_words(text: str) -> list[str]:
    """The words of a query that carry meaning (stop words removed), without repeats."""
    seen: dict[str, None] = {}
    for w in words(text):
        if w not in STOP_WORDS:
            seen.setdefault(w, None)
    return list(seen)


@lru_cache(maxsize=200_000)
def _parts_of_word(word: str) -> tuple[str, ...]:
    if len(word) < MIN_COMPOUND or not word.isalpha():
        return ()
    pieces = {stem(word[:i]) for i in range(MIN_PREFIX_PART, len(word) - MIN_SUFFIX_PART + 1)}
    pieces.update(stem(word[i:]) for i in range(MIN_PREFIX_PART - 1, len(word) - MIN_SUFFIX_PART + 1))
    pieces.discard(stem(word))
    return tuple(sorted(pieces))


def compound_parts(texts: Iterable[str]) -> list[str]:
    """Leading pieces and stemmed trailing pieces of every long word: the index side of decompounding."""
    out: list[str] = []
    for text in texts:
        for w in words(text):
            out.extend(_parts_of_word(w))
    return out


def compound_splits(word: str) -> list[tuple[str, str]]:
    """Candidate (head stem, tail stem) splits of a query word, longest tail first.

    The caller keeps the splits whose both stems the index knows; linking morphemes are tried on the head.
    """
    if len(word) < MIN_COMPOUND or not word.isalpha():
        return []
    splits: list[tuple[str, str]] = []
    for i in range(MIN_SUFFIX_PART, len(word) - MIN_SUFFIX_PART + 1):
        head, tail = word[:i], word[i:]
        for link in LINKING_MORPHEMES:
            if link and not head.endswith(link):
                continue
            base = head[: len(head) - len(link)] if link else head
            if len(base) >= MIN_SUFFIX_PART:
                splits.append((stem(base), stem(tail)))
    return splits


def edge_prefixes(text: str, min_len: int = 1, max_len: int = 20) -> list[str]:
    """Every leading piece of every word: what autocomplete matches typed characters against."""
    out: list[str] = []
    for w in words(text):
        out.extend(w[:i] for i in range(min_len, min(len(w), max_len) + 1))
    return out


def typo_distance(term: str) -> int:
    """Edits tolerated in a term: none for short terms, one from 4 letters, two from 8."""
    if len(term) < 4 or not term.isalpha():
        return 0
    return 1 if len(term) < 8 else 2


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (a swap of neighbours costs 1), or limit + 1 when beyond ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        best = cur[0]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, prev2[j - 2] + 1)
            cur[j] = value
            best = min(best, value)
        if best > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1] if prev[-1] <= limit else limit + 1
