"""The `make bench` report puts each figure beside the baselines of its own scope."""

from bench.report import Outcome, summary_rows


def test_a_row_gets_the_baselines_of_its_catalogue_size_and_otherwise_all_of_its_table():
    header = ["products, kind", "p50 ms"]
    search = Outcome(
        "search_bench",
        "",
        1.0,
        "ok",
        [
            [
                header,
                ["100,000, raw tantivy (baseline)", "0.02"],
                ["1,000,000, raw tantivy (baseline)", "0.15"],
                ["100,000, text", "0.41"],
                ["1,000,000, text", "1.00"],
                ["1,000,000", "0.90"],
            ]
        ],
    )
    rows = {measure: beside for _name, measure, _figure, beside in summary_rows(search)}
    assert rows["100,000, text"] == "100,000, raw tantivy (baseline): 0.02"
    assert rows["1,000,000, text"] == rows["1,000,000"] == "1,000,000, raw tantivy (baseline): 0.15"

    relay = Outcome(
        "relay",
        "",
        1.0,
        "ok",
        [
            [
                ["path", "events/s"],
                ["raw kombu publish (baseline)", "2,442"],
                ["relay: outbox -> broker", "2,478"],
            ]
        ],
    )
    assert summary_rows(relay) == [("relay", "relay: outbox -> broker", "2,478", "raw kombu publish (baseline): 2,442")]
