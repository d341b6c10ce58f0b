"""Domain tests: stock arithmetic and the POS sequence rules, no I/O."""

import pytest

from catalog.domain.stock import StockLevel, StockLine, apply_batch, parse_lines
from marktplatz_shared.errors import InvalidInput


def report(sku, quantity, sequence):
    return StockLine(sku=sku, sequence=sequence, quantity=quantity)


def adjust(sku, delta, sequence):
    return StockLine(sku=sku, sequence=sequence, delta=delta, reason="sale")


def test_available_is_on_hand_minus_reserved_and_never_shown_below_zero():
    assert StockLevel(on_hand=10, reserved=3).available == 7
    assert StockLevel(on_hand=2, reserved=5).available == 0


def test_a_report_sets_on_hand_and_a_delta_adds_to_it():
    outcome = apply_batch(
        {"a": StockLevel(on_hand=5), "b": StockLevel(on_hand=5)}, [report("a", 9, 1), adjust("b", -2, 1)]
    )
    assert outcome.updated["a"].on_hand == 9
    assert outcome.updated["b"].on_hand == 3
    assert outcome.applied == 2


def test_a_duplicate_or_older_sequence_never_overwrites_newer_data():
    levels = {"a": StockLevel(on_hand=7, version=4, last_sequence=10)}
    outcome = apply_batch(levels, [report("a", 1, 10), report("a", 2, 9), adjust("a", 5, 3)])
    assert outcome.stale == 3
    assert outcome.applied == 0
    assert outcome.updated == {}
    assert outcome.changed == []


def test_lines_in_one_batch_apply_in_order_and_a_reordered_line_is_stale():
    outcome = apply_batch({"a": StockLevel()}, [report("a", 5, 1), report("a", 8, 3), report("a", 6, 2)])
    assert outcome.updated["a"].on_hand == 8
    assert outcome.updated["a"].last_sequence == 3
    assert (outcome.applied, outcome.stale) == (2, 1)


def test_a_redelivered_batch_changes_nothing():
    first = apply_batch({"a": StockLevel()}, [adjust("a", 4, 1), adjust("a", -1, 2)])
    again = apply_batch(first.updated, [adjust("a", 4, 1), adjust("a", -1, 2)])
    assert first.updated["a"].on_hand == 3
    assert again.applied == 0 and again.stale == 2


def test_every_applied_line_bumps_the_version():
    outcome = apply_batch({"a": StockLevel(version=7)}, [adjust("a", 1, 1), adjust("a", 1, 2)])
    assert outcome.updated["a"].version == 9


def test_a_sale_never_takes_on_hand_below_zero():
    outcome = apply_batch({"a": StockLevel(on_hand=1)}, [adjust("a", -3, 1)])
    assert outcome.updated["a"].on_hand == 0


def test_unknown_skus_are_reported_once_each_in_order():
    outcome = apply_batch(
        {"a": StockLevel()}, [report("x", 1, 1), report("a", 1, 1), report("y", 1, 1), report("x", 2, 2)]
    )
    assert outcome.unknown_skus == ["x", "y"]
    assert outcome.applied == 1


def test_only_lines_whose_availability_changed_are_changed():
    levels = {"same": StockLevel(on_hand=4), "more": StockLevel(on_hand=4), "hidden": StockLevel(on_hand=1, reserved=3)}
    outcome = apply_batch(levels, [report("same", 4, 1), report("more", 6, 1), report("hidden", 2, 1)])
    assert outcome.applied == 3
    assert outcome.changed == ["more"]


def test_a_bad_line_rejects_the_whole_batch_naming_each_line():
    with pytest.raises(InvalidInput) as caught:
        parse_lines(
            "report",
            [{"sku": "a", "quantity": 1, "sequence": 1}, {"sku": "b", "quantity": -1, "sequence": 1}, {"sku": "c"}],
            10,
        )
    assert set(caught.value.details) == {"lines.1.quantity", "lines.2.quantity", "lines.2.sequence"}


def test_an_oversized_batch_is_refused():
    lines = [{"sku": f"s{i}", "quantity": 1, "sequence": 1} for i in range(11)]
    with pytest.raises(InvalidInput, match="exceeds the limit of 10"):
        parse_lines("report", lines, 10)


def test_an_unknown_mode_is_refused():
    with pytest.raises(InvalidInput, match="mode"):
        parse_lines("replace", [{"sku": "a", "quantity": 1, "sequence": 1}], 10)
