"""The embedded index on disk: a release that changes the index's fields, facets counted per category level."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime

import tantivy
from fixtures import products

from search.adapters.tantivy_backend import CURRENT, TantivyBackend
from search.domain.products import ProductDoc
from search.domain.query import Filters, SearchPlan
from search.indexing import bulk_load


def old_release_index(root: str) -> str:
    """An index as an earlier release wrote it: a generation with other fields, one document in it."""
    path = os.path.join(root, "gen-000001")
    os.makedirs(path)
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("title", stored=True)
    index = tantivy.Index(sb.build(), path=path)
    writer = index.writer(15_000_000, 1)
    writer.add_document(tantivy.Document(title="Regenjacke"))
    writer.commit()
    writer.wait_merging_threads()
    os.symlink("gen-000001", os.path.join(root, CURRENT))
    return path


def test_an_index_with_another_release_s_fields_starts_afresh_and_asks_for_a_rebuild(tmp_path):
    old = old_release_index(str(tmp_path))
    backend = TantivyBackend(str(tmp_path))
    try:
        assert backend.rebuild_reason and "another release" in backend.rebuild_reason
        assert backend.stats()["documents"] == 0
        assert not os.path.exists(old), "the unreadable generation is removed"
        assert os.path.realpath(tmp_path / CURRENT) != old
        builder = backend.start_rebuild()
        builder.load([ProductDoc.from_event_data(products("p")[0], changed_at=0.0)])
        builder.finish()
        assert backend.rebuild_reason is None
        assert backend.stats()["documents"] == 1
    finally:
        backend.close()
    reopened = TantivyBackend(str(tmp_path))
    try:
        assert reopened.rebuild_reason is None and reopened.stats()["documents"] == 1
    finally:
        reopened.close()


def test_category_facets_count_each_level_like_the_full_paths(tmp_path):
    rows = [
        {**products("f")[0], "sku": f"S{i}", "category": category}
        for i, category in enumerate(
            ["Mode > Damen > Jacken", "Mode > Herren > Jacken", "Mode > Herren", "Sport", "A > B > C > D > E > F"] * 3
        )
    ]
    backend = TantivyBackend(str(tmp_path))
    try:
        bulk_load(backend, rows, datetime.now(UTC))

        def categories(category: str | None) -> dict[str, int]:
            plan = SearchPlan(filters=Filters(category=category), limit=1)
            return backend.execute(plan).facets["category"]

        assert categories(None) == {"Mode": 9, "Sport": 3, "A": 3}
        assert categories("Mode") == {"Mode > Damen": 3, "Mode > Herren": 6}
        assert categories("Mode > Herren") == {"Mode > Herren > Jacken": 3}
        below = categories("A > B > C > D")  # below the levels kept: every path, the use case keeps the next level
        assert below["A > B > C > D > E"] == 3
    finally:
        backend.close()


def test_a_few_shops_filter_inside_each_variant_finds_and_scores_as_the_filter_outside(tmp_path, monkeypatch):
    shops = [f"shop{i}" for i in range(6)]
    titles = ["Regenjacke gelb", "Jacke für Regen und Wind", "Regenschirm", "Winterjacke", "Regenjacken Kinder"]
    rows = [
        {**products("w")[0], "vendor_id": shop, "sku": f"S{i}", "title": title, "description": "", "attributes": {}}
        for i, (shop, title) in enumerate((s, t) for s in shops for t in titles)
    ]
    backend = TantivyBackend(str(tmp_path))
    try:
        bulk_load(backend, rows, datetime.now(UTC))
        from search.domain.query import build_text_plan

        groups, minimum, _gtin, phrase = build_text_plan("regenjacke winddicht", backend)
        assert any(g.alternatives for g in groups), "the compound must have variants for this test to mean much"
        plan = SearchPlan(
            groups=groups, minimum_match=1, phrase=phrase, filters=Filters(vendor_ids=frozenset(shops[:2])), limit=50
        )
        inside = [(d.id, round(score, 5)) for d, score in backend.execute(plan).hits]
        monkeypatch.setattr(TantivyBackend, "_within", lambda self, plan: None)
        outside = [(d.id, round(score, 5)) for d, score in backend.execute(plan).hits]
        assert inside == outside and {i.split("/")[0] for i, _s in inside} == set(shops[:2])
        assert len(inside) >= 4
    finally:
        backend.close()


def test_an_in_stock_filter_ranks_and_scores_as_the_in_stock_factor_would(tmp_path):
    """With every match on the shelf the in-stock factor is the same for all: it is applied to the page, not
    weighed per match; the hits and their scores must be those of the weighed search."""
    from search.adapters.tantivy_backend import STOCK_WEIGHT_FIELD, _load
    from search.domain.query import build_text_plan

    rows = list(_rows(600))
    backend = TantivyBackend(str(tmp_path))
    try:
        bulk_load(backend, rows, datetime.now(UTC))
        groups, minimum, _gtin, phrase = build_text_plan("regenjacke farbe", backend)
        plan = SearchPlan(groups=groups, minimum_match=minimum, phrase=phrase, filters=Filters(in_stock=True), limit=30)
        got = [(d.id, score) for d, score in backend.execute(plan).hits]
        searcher = backend.gen.searcher
        weighed = searcher.search(backend.build_query(plan), limit=30, weight_by_field=STOCK_WEIGHT_FIELD)
        want = [(_load(searcher.doc(address)).id, score) for score, address in weighed.hits]
        assert [i for i, _s in got] == [i for i, _s in want] and len(got) == 30
        assert all(abs(a - b) <= 1e-5 * b for (_i, a), (_j, b) in zip(got, want, strict=True))
    finally:
        backend.close()


def _rows(n: int):
    words = ["Regenjacke", "Fahrradhelm", "Kaffeebecher", "Holzspielzeug", "Wanderschuh", "Leselampe"]
    for i in range(n):
        yield {
            "vendor_id": f"v{i % 50}",
            "sku": f"S{i}",
            "title": f"{words[i % 6]} Modell {i} Farbe {i % 17}",
            "description": f"{words[(i * 7) % 6]} aus Material {i % 101} für jeden Tag, Nummer {i}",
            "brand": f"Marke{i % 13}",
            "category": "Mode > Damen > Jacken",
            "price": f"{1 + i % 300}.99",
            "attributes": {"farbe": f"farbe{i % 11}"},
            "available": i % 4,
        }


def _page_plan(backend: TantivyBackend, text: str, page: int, **fields) -> SearchPlan:
    """The plan for page ``page`` (20 a page) of a search for ``text``, with ``fields`` of SearchPlan added."""
    from search.domain.query import build_text_plan

    groups, minimum, _gtin, phrase = build_text_plan(text, backend)
    return SearchPlan(groups=groups, minimum_match=minimum, phrase=phrase, offset=page * 20, limit=20, **fields)


def _as_one_query(backend: TantivyBackend, plan: SearchPlan) -> tuple[list[tuple[str, float]], int]:
    """The page and total tantivy gives for the plan as one query, every match weighed: what each shortcut of
    the backend (rings searched alone, a filter after the ranking, a bounded ranking) must equal."""
    from search.adapters.tantivy_backend import STOCK_WEIGHT_FIELD, _load

    searcher = backend.gen.searcher
    query = backend.build_query(plan)
    one = searcher.search(query, plan.limit, True, offset=plan.offset, weight_by_field=STOCK_WEIGHT_FIELD)
    return [(_load(searcher.doc(a)).id, score) for score, a in one.hits], one.count


def test_a_rebuild_with_more_memory_leaves_fewer_segments(tmp_path):
    """A rebuild writes a segment whenever its memory budget fills; fewer segments answer faster."""
    segments = {}
    # 20 MB leaves a few segments of 25k products; a budget so small that it leaves eight or more has them merged
    # into one by tantivy's merge policy (15 MB since the price-edge terms)
    for budget in (20_000_000, 600_000_000):
        backend = TantivyBackend(str(tmp_path / str(budget)), rebuild_heap=budget)
        bulk_load(backend, _rows(25_000), datetime.now(UTC))
        backend.close()
        reopened = TantivyBackend(str(tmp_path / str(budget)))
        segments[budget] = reopened.stats()["segments"]
        assert reopened.stats()["documents"] == 25_000
        reopened.close()
    assert segments[600_000_000] == 1 < segments[20_000_000], segments


def test_the_service_s_rebuild_memory_setting_reaches_the_embedded_index_and_a_bad_one_is_refused(tmp_path):
    import pytest

    from marktplatz_shared.config import ConfigError
    from search.engine import make_backend
    from search.settings import SearchSettings

    config = {"SEARCH_INDEX_PATH": str(tmp_path / "i"), "SEARCH_REBUILD_MEMORY_MB": 123}
    backend = make_backend(SearchSettings.from_config(config))
    assert backend.rebuild_heap == 123_000_000
    backend.close()
    default = make_backend(SearchSettings.from_config({"SEARCH_INDEX_PATH": str(tmp_path / "j")}))
    assert default.rebuild_heap == 600_000_000
    default.close()
    with pytest.raises(ConfigError, match="SEARCH_REBUILD_MEMORY_MB"):
        SearchSettings.from_config({**config, "SEARCH_REBUILD_MEMORY_MB": 10})


def test_distance_rings_of_few_shops_searched_alone_give_the_pages_of_one_wrapped_query(tmp_path):
    """A ring of few shops is searched on its own and merged in (cheaper than wrapping every match in its
    clause); every page, its order among equal scores included, must be that of the one query with every ring."""

    rows = list(_rows(600))
    backend = TantivyBackend(str(tmp_path))
    try:
        bulk_load(backend, rows, datetime.now(UTC))
        rings = ((frozenset({"v1"}), 0.6), (frozenset(f"v{i}" for i in range(2, 8)), 0.4))
        rings += ((frozenset(f"v{i}" for i in range(8, 30)), 0.2),)  # more than a few shops: wrapped
        allowed = frozenset(f"v{i}" for i in range(0, 50) if i != 3)  # a ring's shop filtered out
        for text in ("regenjacke farbe", "kaffeebecher", "modell"):
            for page in range(4):
                plan = _page_plan(backend, text, page, filters=Filters(vendor_ids=allowed), vendor_boosts=rings)
                got = [(d.id, score) for d, score in backend.execute(plan).hits]
                assert got == _as_one_query(backend, plan)[0] and len(got) == 20, (text, page)
                assert "v3" not in {i.split("/")[0] for i, _s in got}
        near = replace(_page_plan(backend, "modell", 0, vendor_boosts=rings), limit=5)
        assert {d.vendor_id for d, _s in backend.execute(near).hits} == {"v1"}  # "modell" is everywhere: v1 leads
    finally:
        backend.close()


def test_a_wide_shop_filter_applied_after_the_ranking_gives_the_filtered_query_s_pages(tmp_path, monkeypatch):
    """Many shops (a shopper's 30 km) are filtered after the ranking, from a column of the hits' shops; every
    page, its total and its order among equal scores must be those of the query with the filter in it, also
    when the first hits hold too few allowed shops, and when two shops share a key."""
    from search.adapters import tantivy_backend

    rows = list(_rows(900))
    backend = TantivyBackend(str(tmp_path))
    taken = []
    rings_within = tantivy_backend._rings_within  # called only where the filter is applied after the ranking

    def rings_within_noted(rings, allowed):
        taken.append(len(allowed))
        return rings_within(rings, allowed)

    monkeypatch.setattr(tantivy_backend, "_rings_within", rings_within_noted)
    try:
        bulk_load(backend, rows, datetime.now(UTC))
        rings = ((frozenset({"v1", "v44"}), 0.6), (frozenset(f"v{i}" for i in range(2, 30)), 0.2))

        def pages(allowed, texts=("regenjacke farbe", "modell", "kaffeebecher"), deep=6, rings=rings):
            for text in texts:
                for page in range(deep):
                    filters = Filters(vendor_ids=allowed)
                    plan = _page_plan(backend, text, page, filters=filters, vendor_boosts=rings, facets=False)
                    result = backend.execute(plan)
                    want, total = _as_one_query(backend, plan)
                    assert [(d.id, score) for d, score in result.hits] == want, (text, page)
                    assert result.total == total, (text, page)
                    assert {d.vendor_id for d, _s in result.hits} <= allowed

        wide = frozenset(f"v{i}" for i in range(0, 50, 2))  # half the shops, v1's ring filtered out
        pages(wide)
        assert taken, "a filter of half the shops is applied after the ranking"
        monkeypatch.setattr(tantivy_backend, "WIDE_FETCH_MAX", 25)  # too few allowed among the first hits
        pages(frozenset(f"v{i}" for i in range(30, 50)), texts=("modell",))
        monkeypatch.setattr(tantivy_backend, "WIDE_FETCH_MAX", 2_000)
        taken.clear()
        monkeypatch.setattr(tantivy_backend, "WIDE_SHOP_SHARE", 0.5)
        pages(frozenset(f"v{i}" for i in range(20)), texts=("modell",), deep=1)
        assert not taken, "20 of 50 shops are below a share of 0.5: the filter goes first"
    finally:
        backend.close()


def test_a_shop_onboarded_since_the_shops_were_read_is_found_by_a_wide_shop_filter(tmp_path):
    """A hit whose shop the last read of the index's shops does not know: that page comes from the filtered
    query, and the shops are read again for the next."""
    backend = TantivyBackend(str(tmp_path))
    try:
        bulk_load(backend, _rows(900), datetime.now(UTC))
        assert "v-new" not in backend._shops().by_key.values()
        new = [ProductDoc.from_event_data({**row, "vendor_id": "v-new"}, changed_at=1.0) for row in products("n")]
        backend.write(new)
        allowed = frozenset(f"v{i}" for i in range(0, 50, 2)) | {"v-new"}
        texts = {d.title for d in new}
        for text in texts:
            plan = _page_plan(backend, text, 0, filters=Filters(vendor_ids=allowed), facets=False)
            result = backend.execute(plan)
            assert [(d.id, s) for d, s in result.hits] == _as_one_query(backend, plan)[0]
            assert "v-new" in {d.vendor_id for d, _s in result.hits}, text
        assert "v-new" in backend._shops().by_key.values(), "read again"
    finally:
        backend.close()


def test_two_shops_sharing_a_key_are_never_mixed_up_by_a_wide_shop_filter(tmp_path, monkeypatch):
    from search.adapters import tantivy_backend

    real_key = tantivy_backend.vendor_key
    monkeypatch.setattr(tantivy_backend, "vendor_key", lambda v: real_key("v4" if v == "v3" else v))
    backend = TantivyBackend(str(tmp_path))
    try:
        bulk_load(backend, _rows(900), datetime.now(UTC))
        allowed = frozenset(f"v{i}" for i in range(0, 50, 2))  # v4 in, v3 (with v4's key) out
        for page in range(3):
            plan = _page_plan(backend, "modell", page, filters=Filters(vendor_ids=allowed), facets=False)
            assert [(d.id, s) for d, s in backend.execute(plan).hits] == _as_one_query(backend, plan)[0]
    finally:
        backend.close()


def test_a_stored_document_reads_back_equal_frozen_and_a_foreign_shape_is_refused():
    import dataclasses

    import pytest

    doc = ProductDoc.from_event_data(products("p")[0], changed_at=12.5)
    back = ProductDoc.from_json(doc.to_json())
    assert back == doc and back.id == doc.id and back.attributes == doc.attributes
    with pytest.raises(dataclasses.FrozenInstanceError):
        back.title = "anders"  # type: ignore[misc]
    with pytest.raises(TypeError, match="unexpected keyword"):
        ProductDoc.from_json({**doc.to_json(), "colour": "rot"})
    with pytest.raises(TypeError, match="missing"):
        ProductDoc.from_json({k: v for k, v in doc.to_json().items() if k != "title"})


def test_words_matching_many_offers_ranked_and_bounded_give_the_weighed_pages(tmp_path, monkeypatch):
    """Words matching many offers are ranked without the in-stock factor, the factor applied to the first hits
    in tantivy's 32-bit arithmetic and checked against a bound; every page, score for score and in the order
    of equal scores, must be tantivy's weighing every match, also where the bound sends the page back."""
    import dataclasses

    from search.adapters import tantivy_backend

    monkeypatch.setattr(tantivy_backend, "HEAVY_MATCHES", 1)
    monkeypatch.setattr(tantivy_backend, "HEAVY_RAREST_WORD", 1)
    outcomes = []
    bounded = tantivy_backend._bounded_page
    monkeypatch.setattr(
        tantivy_backend, "_bounded_page", lambda *a, **k: outcomes.append(page := bounded(*a, **k)) or page
    )
    backend = TantivyBackend(str(tmp_path))
    try:
        bulk_load(backend, _rows(900), datetime.now(UTC))
        for fetch in (256, 40):  # 40: equal scores reach past the first hits, and the bound sends pages back
            monkeypatch.setattr(tantivy_backend, "BOUNDED_FETCH", fetch)
            for text in ("modell", "farbe", "material", "nummer", "modell farbe", "regenjacke farbe", "kaffeebecher"):
                for page in range(5):
                    plan = _page_plan(backend, text, page, facets=False)
                    result = backend.execute(plan)
                    want, total = _as_one_query(backend, plan)
                    assert [(d.id, score) for d, score in result.hits] == want, (fetch, text, page)
                    assert result.total == total
        assert sum(o is not None for o in outcomes) >= 30, "the one-word pages came from the bounded ranking"
        both = _page_plan(backend, "modell farbe", 0, facets=False)
        assert backend._heavy(both), "two words, none with variants, both required"
        assert not backend._heavy(dataclasses.replace(both, minimum_match=1)), "either word: no bound on the matches"
    finally:
        backend.close()


def test_a_bounded_page_is_refused_where_an_offer_below_the_first_hits_could_still_reach_it():
    from collections import namedtuple

    import numpy as np

    from search.adapters.tantivy_backend import STOCK_FACTOR_F32, STOCK_WEIGHT, _bounded_page

    at = namedtuple("Address", "segment_ord doc")
    factor = float(STOCK_FACTOR_F32)

    def hits(*scores):
        return [(float(np.float32(score)), at(0, i)) for i, score in enumerate(scores)]

    on, off = STOCK_WEIGHT, 0.0
    # the page's last (3.5 on the shelf: 3.675) weighs more than any offer below the last hit can (2.0 * 1.05)
    assert _bounded_page(hits(4.0, 3.5, 3.0, 2.0), [off, on, on, off], 0, 2, complete=False) is not None
    page = _bounded_page(hits(4.0, 3.9, 3.0, 2.0), [off, on, off, off], 0, 2, complete=False)
    assert [(round(s, 4), a.doc) for s, a in page] == [(round(3.9 * factor, 4), 1), (4.0, 0)]
    # the second of the page weighs 3.0, an offer below 2.9 on the shelf could weigh up to 3.045: refused
    assert _bounded_page(hits(4.0, 3.0, 2.95, 2.9), [off, off, off, off], 0, 2, complete=False) is None
    # every match is among the hits: nothing below, any page stands
    assert len(_bounded_page(hits(4.0, 3.0, 2.95, 2.9), [off, off, off, off], 0, 2, complete=True)) == 2
    # at the bound: all on the shelf at the last score -> index order holds; an offer off the shelf -> refused
    tied = hits(2.0, 2.0, 2.0, 2.0)
    assert [a.doc for _s, a in _bounded_page(tied, [on, off, on, on], 0, 2, complete=False)] == [0, 2]
    bound = float(np.float32(np.float32(2.0) * STOCK_FACTOR_F32))
    assert _bounded_page(hits(bound, 2.0, 2.0, 2.0), [off, on, on, on], 0, 2, complete=False) is None
    assert _bounded_page([], [], 0, 20, complete=False) == []


def test_the_index_s_shops_are_read_again_once_they_are_old_so_onboarded_shops_count(tmp_path, monkeypatch):
    from search.adapters import tantivy_backend

    backend = TantivyBackend(str(tmp_path))
    try:
        bulk_load(backend, _rows(100), datetime.now(UTC))
        assert backend._shops().count == 50
        backend.write([ProductDoc.from_event_data({**products("p")[0], "vendor_id": "v-new"}, changed_at=1.0)])
        assert backend._shops().count == 50, "read again only after SHOP_COUNT_MAX_AGE"
        monkeypatch.setattr(tantivy_backend, "SHOP_COUNT_MAX_AGE", 0.0)
        assert backend._shops().count == 51
    finally:
        backend.close()


def test_the_side_thread_lowers_the_interpreter_s_switch_interval_and_never_raises_it(monkeypatch):
    import sys

    from search.adapters.tantivy_backend import SWITCH_INTERVAL, SideThread

    monkeypatch.setattr(sys, "setswitchinterval", lambda s: monkeypatch.setattr(sys, "getswitchinterval", lambda: s))
    monkeypatch.setattr(sys, "getswitchinterval", lambda: 0.005)
    SideThread()
    assert sys.getswitchinterval() == SWITCH_INTERVAL
    monkeypatch.setattr(sys, "getswitchinterval", lambda: 0.0001)
    SideThread()
    assert sys.getswitchinterval() == 0.0001


def test_a_price_filter_on_the_facet_s_edges_finds_what_the_price_range_finds(tmp_path):
    """A filter whose bounds are price-facet edges is one term of each offer; it must match exactly the offers
    a price range matches, at the edges themselves too (both bounds inclusive), on the shelf or not; bounds off
    the edges (30, 100.005) take the range."""
    from search.adapters import tantivy_backend
    from search.adapters.tantivy_backend import PRICE_EDGES

    prices = ["0.01", "9.99", "10.00", "10.01", "24.99", "25.00", "49.99", "50.00", "99.99", "100.00", "100.01"]
    prices += ["249.99", "250.00", "250.01", "999.00"]
    rows = [
        {**products("e")[0], "vendor_id": f"v{i % 3}", "sku": f"P{i}-{stock}", "price": price, "available": stock}
        for i, price in enumerate(prices)
        for stock in (0, 2)
    ]
    backend = TantivyBackend(str(tmp_path))
    try:
        bulk_load(backend, rows, datetime.now(UTC))
        bounds = [None, *PRICE_EDGES, 30.0, 100.005]
        tried = 0
        for lo in bounds:
            for hi in bounds:
                if (lo is None and hi is None) or (lo is not None and hi is not None and lo > hi):
                    continue
                for in_stock in (False, True):
                    plan = SearchPlan(filters=Filters(in_stock=in_stock, price_min=lo, price_max=hi), limit=100)
                    got = {d.id for d, _s in backend.execute(plan).hits}
                    want = {
                        f"{r['vendor_id']}/{r['sku']}"
                        for r in rows
                        if (lo is None or float(r["price"]) >= lo)
                        and (hi is None or float(r["price"]) <= hi)
                        and (not in_stock or r["available"] > 0)
                    }
                    assert got == want, (lo, hi, in_stock)
                    tried += tantivy_backend._price_edge_term(lo, hi, in_stock) is not None
        assert tried == 2 * (len(PRICE_EDGES) * 2 + len(PRICE_EDGES) * (len(PRICE_EDGES) - 1) // 2)
    finally:
        backend.close()


def test_a_few_shops_are_counted_on_the_key_column_as_by_name_and_shops_sharing_a_key_by_name(tmp_path, monkeypatch):
    """A distance sort counts the matches of its next group of shops; on the shop key column for up to
    VENDOR_COUNT_BY_KEY shops. Each count must be each shop's number of matching offers, also when two shops of
    the group have one key (then they are counted by name)."""
    from search.adapters import tantivy_backend

    rows = list(_rows(900))
    backend = TantivyBackend(str(tmp_path))
    try:
        bulk_load(backend, rows, datetime.now(UTC))
        by_name = []
        real_aggregate = backend.gen.searcher.aggregate

        def want(text: str, shops: frozenset[str]) -> dict[str, int]:
            plan = _page_plan(backend, text, 0, filters=Filters(vendor_ids=shops))
            return {v: backend.count(replace(plan, filters=Filters(vendor_ids=frozenset({v})))) for v in shops}

        group = frozenset(f"v{i}" for i in (3, 4, 17, 40))
        for text in ("regenjacke", "modell", "kaffeebecher farbe"):
            plan = _page_plan(backend, text, 0, filters=Filters(vendor_ids=group))
            counts = backend.vendor_counts(plan)
            assert counts == {v: n for v, n in want(text, group).items() if n}, text
            assert sum(counts.values()) == backend.count(plan) > 0

        class Noting:  # the searcher, noting which column each count aggregates
            def __getattr__(self, name):
                return getattr(searcher, name)

            def aggregate(self, query, aggs):
                if "v" in aggs:  # a shop count, not the total
                    by_name.append(aggs["v"]["terms"]["field"] == "vendor_id")
                return real_aggregate(query, aggs)

        searcher = backend.gen.searcher
        backend.gen.searcher = Noting()
        plan = _page_plan(backend, "modell", 0, filters=Filters(vendor_ids=group))
        assert backend.vendor_counts(plan) == want("modell", group)
        real_key = tantivy_backend.vendor_key
        monkeypatch.setattr(tantivy_backend, "vendor_key", lambda v: real_key("v4" if v == "v3" else v))
        assert backend.vendor_counts(plan) == want("modell", group)
        assert by_name == [False, True], "by key, then by name for two shops with one key"
    finally:
        backend.close()


def test_offers_are_kept_in_category_stock_and_price_order_and_filters_on_them_find_the_same(tmp_path):
    """Each segment keeps its offers ordered by category path, then on the shelf first, then by price bucket, so a
    category with all below it is one run of documents, and within it the offers on the shelf (what lets a filter
    skip the rest), also for offers written after the first load."""
    from search.adapters.tantivy_backend import _load, offer_order

    categories = ["Mode > Herren", "Sport", "Mode", "Mode > Damen > Jacken", "Mode & Accessoires", "Spielwaren > Holz"]
    rows = [{**row, "category": categories[i % len(categories)]} for i, row in enumerate(_rows(300))]
    backend = TantivyBackend(str(tmp_path))
    try:
        bulk_load(backend, rows[:250], datetime.now(UTC))
        backend.write([ProductDoc.from_event_data(row, changed_at=1.0) for row in rows[250:]])
        searcher = backend.gen.searcher
        every = searcher.search(tantivy.Query.all_query(), 1_000, False).hits
        by_segment: dict[int, list[tuple[int, ProductDoc]]] = {}
        for _score, a in every:
            by_segment.setdefault(a.segment_ord, []).append((a.doc, _load(searcher.doc(a))))
        for docs in by_segment.values():
            in_order = [doc for _n, doc in sorted(docs, key=lambda d: d[0])]
            keys = [offer_order(d.category, float(d.price), d.available) for d in in_order]
            assert keys == sorted(keys)
            for category in ("Mode", "Mode > Herren", "Spielwaren"):  # each category and all below it: one run
                inside = [
                    i
                    for i, d in enumerate(in_order)
                    if d.category.startswith(category + " > ") or d.category == category
                ]
                assert not inside or inside == list(range(inside[0], inside[-1] + 1)), category
                shelf = [i for i in inside if in_order[i].available > 0 and in_order[i].category == category]
                assert not shelf or shelf == list(range(shelf[0], shelf[-1] + 1)), category
        for category, want in (("Mode", 150), ("Mode > Damen", 50), ("Sport", 50), ("Mode & Accessoires", 50)):
            plan = SearchPlan(filters=Filters(category=category), limit=300, facets=False)
            assert backend.execute(plan).total == want, category
            stocked = sum(
                1 for r in rows if r["available"] > 0 and (r["category"] + " > ").startswith(category + " > ")
            )
            plan = replace(plan, filters=Filters(category=category, in_stock=True))
            assert backend.execute(plan).total == stocked, category
    finally:
        backend.close()
