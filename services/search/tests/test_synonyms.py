"""Synonyms: the built-in groups, a region's file, and how a query word's synonyms enter its plan."""

from __future__ import annotations

import pytest

from search.domain import analysis, ranking
from search.domain.query import build_text_plan
from search.domain.synonyms import BUILT_IN, SynonymError, Synonyms, parse


class Known:
    """A vocabulary that knows the stems of the given words and nothing is ever a typo of another."""

    def __init__(self, *words):
        self.stems = {analysis.stem(w) for text in words for w in analysis.words(text)}

    def known(self, stems):
        return stems & self.stems

    def similar(self, stem, max_distance):
        return [(s, 1) for s in self.stems if s != stem and s[:3] == stem[:3]]


def test_the_built_in_groups_are_analysed_like_queries_and_each_word_finds_the_others():
    synonyms = Synonyms()
    hoodie = ((analysis.stem("kapuzenpulli"),), (analysis.stem("kapuzenpullover"),))
    assert synonyms.of(analysis.stem("hoodie")) == hoodie
    assert (analysis.stem("brotchen"),) in synonyms.of(analysis.stems("Semmel")[0]), "umlauts folded, case and stems"
    assert ("extern", "akku") in synonyms.of(analysis.stem("powerbank")), "an entry of several words keeps them all"
    assert synonyms.of(analysis.stem("regenjacke")) == ()
    assert synonyms.of("extern") == (), "only single-word entries are looked up from a query word"
    assert len(synonyms) == sum(sum(len(analysis.words(e)) == 1 for e in group) for group in BUILT_IN)


def test_a_region_s_file_adds_groups_and_joins_one_sharing_an_entry():
    text = "# Lindenau\nweck, brötchen   # as the bakers here say\n\nbembel, apfelweinkrug\n"
    synonyms = Synonyms.with_file_text(text, "lindenau.txt")
    semmel = {e for (e,) in synonyms.of(analysis.stem("semmel"))}
    assert {analysis.stem("weck"), analysis.stem("brotchen"), analysis.stem("schrippe")} <= semmel
    assert synonyms.of(analysis.stem("bembel")) == ((analysis.stem("apfelweinkrug"),),)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("hoodie, kapuzenpullover\nhoodie\n", "lindenau.txt, line 2: a group is two or more entries"),
        ("hoodie, , pulli\n", "line 1: a group is two or more entries separated by commas, none empty"),
        ("hoodie, ---\n", "line 1: '---' has no word in it"),
        ("a, " + ", ".join(f"w{i}" for i in range(12)), "line 1: a group has at most 12 entries"),
        ("kurz, ein sehr langer name dafür\n", "line 1: 'ein sehr langer name dafür' has more than 4 words"),
    ],
)
def test_a_synonym_file_it_cannot_read_is_refused_naming_the_line(text, message):
    with pytest.raises(SynonymError, match=message):
        parse(text, "lindenau.txt")


def test_a_word_s_known_synonyms_stand_in_for_it_below_the_word_and_keep_typo_correction_away():
    vocabulary = Known("kapuzenpullover", "hoody")  # "hoody" is a near spelling the index holds
    (group,), minimum, _gtin, _phrase = build_text_plan("hoodie", vocabulary)
    assert minimum == 1
    assert [(a.stems, a.weight) for a in group.alternatives] == [
        ((analysis.stem("kapuzenpullover"),), ranking.SYNONYM_WEIGHT)
    ], "the unknown synonym (kapuzenpulli) is left out, and a word with a synonym is not taken for a typo"
    (plain,), *_ = build_text_plan("hoodie", Known("hoody"))
    assert [a.stems for a in plain.alternatives] == [("hoody",)], "no synonym known: typo correction as before"
    (none,), *_ = build_text_plan("hoodie", vocabulary, Synonyms(()))
    assert [a.stems for a in none.alternatives] == [("hoody",)], "no groups at all"


def test_the_service_reads_a_region_s_synonym_file_and_refuses_one_it_cannot_read(tmp_path):
    from marktplatz_shared.config import ConfigError
    from search.engine import load_synonyms
    from search.settings import SearchSettings

    assert load_synonyms(SearchSettings.from_config({})) is not None
    good = tmp_path / "synonyms.txt"
    good.write_text("bembel, apfelweinkrug\n", encoding="utf-8")
    loaded = load_synonyms(SearchSettings.from_config({"SEARCH_SYNONYMS_FILE": str(good)}))
    assert loaded.of("bembel") and loaded.of(analysis.stem("hoodie")), "the file's groups and the built-in ones"
    bad = tmp_path / "bad.txt"
    bad.write_text("bembel\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"SEARCH_SYNONYMS_FILE: .*bad.txt, line 1"):
        load_synonyms(SearchSettings.from_config({"SEARCH_SYNONYMS_FILE": str(bad)}))
    with pytest.raises(ConfigError, match="SEARCH_SYNONYMS_FILE: .*No such file"):
        load_synonyms(SearchSettings.from_config({"SEARCH_SYNONYMS_FILE": str(tmp_path / "missing.txt")}))
