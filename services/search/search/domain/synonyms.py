"""Words shoppers use for the same thing: loanwords and their German names, regional names, a brand for its kind.

A query word whose stem belongs to a group also looks for the group's other entries that the index knows, scored
below the word as typed (``ranking.SYNONYM_WEIGHT``): "hoodie" finds the "Kapuzenpullover", "semmel" the
"Brötchen". An entry may be several words ("externer akku"): all of them must match. Only single-word entries
are looked up from a query word. The groups are analysed like every text (umlauts folded, stemmed), so "Brötchen"
and "broetchen" are one entry.

A region adds its own words with a file of groups (``SEARCH_SYNONYMS_FILE``): one group a line, entries
separated by commas, ``#`` starts a comment. The built-in groups stay; a file's group sharing an entry with one
of them is merged into it.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import analysis

#: general German retail words, not one shop's or one catalogue's; a region's own come from its file
BUILT_IN: tuple[tuple[str, ...], ...] = (
    ("hoodie", "kapuzenpullover", "kapuzenpulli"),
    ("pulli", "pullover"),
    ("sneaker", "turnschuh"),
    ("powerbank", "akkupack", "zusatzakku", "externer akku"),
    ("handy", "smartphone", "mobiltelefon"),
    ("laptop", "notebook"),
    ("fernseher", "fernsehgerät"),
    ("geldbörse", "portemonnaie", "portmonee", "geldbeutel"),
    ("kugelschreiber", "kuli"),
    ("klebeband", "tesafilm"),
    ("jogginghose", "trainingshose"),
    ("hausschuh", "pantoffel"),
    ("schnuller", "nuckel"),
    ("brötchen", "semmel", "schrippe"),
    ("sahne", "rahm"),
    ("kartoffel", "erdapfel"),
    ("quark", "topfen"),
    ("tomate", "paradeiser"),
    ("blumenkohl", "karfiol"),
    ("aprikose", "marille"),
)

MAX_GROUP = 12  # entries of one group
MAX_ENTRY_WORDS = 4


class SynonymError(ValueError):
    """A synonym file that cannot be read as groups; names the line."""


class Synonyms:
    """Groups of equivalent entries, each entry the stems of its words."""

    def __init__(self, groups: Iterable[Iterable[str]] = BUILT_IN):
        merged: list[set[tuple[str, ...]]] = []
        for group in groups:
            entries = {entry for entry in (tuple(analysis.stems(text)) for text in group) if entry}
            joined = [g for g in merged if g & entries]
            for g in joined:
                merged.remove(g)
                entries |= g
            merged.append(entries)
        self._by_stem: dict[str, tuple[tuple[str, ...], ...]] = {}
        for entries in merged:
            for entry in entries:
                if len(entry) == 1:
                    others = tuple(sorted(e for e in entries if e != entry))
                    self._by_stem[entry[0]] = others

    def of(self, stem: str) -> tuple[tuple[str, ...], ...]:
        """The other entries of the stem's group (each a tuple of stems), or none."""
        return self._by_stem.get(stem, ())

    def __len__(self) -> int:
        return len(self._by_stem)

    @classmethod
    def with_file_text(cls, text: str, source: str = "synonyms") -> Synonyms:
        """The built-in groups and those of a synonym file's text; SynonymError names a line it cannot read."""
        return cls(BUILT_IN + tuple(parse(text, source)))


def parse(text: str, source: str = "synonyms") -> list[tuple[str, ...]]:
    groups = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        entries = tuple(e.strip() for e in line.split(","))
        where = f"{source}, line {number}"
        if len(entries) < 2 or any(not e for e in entries):
            raise SynonymError(f"{where}: a group is two or more entries separated by commas, none empty")
        if len(entries) > MAX_GROUP:
            raise SynonymError(f"{where}: a group has at most {MAX_GROUP} entries")
        for entry in entries:
            found = analysis.words(entry)
            if not found:
                raise SynonymError(f"{where}: {entry!r} has no word in it")
            if len(found) > MAX_ENTRY_WORDS:
                raise SynonymError(f"{where}: {entry!r} has more than {MAX_ENTRY_WORDS} words")
        groups.append(entries)
    return groups


BUILT_IN_SYNONYMS = Synonyms()
