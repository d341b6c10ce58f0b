"""Stock per vendor and sku, and how POS lines change it.

Rules:

- ``available = on_hand - reserved``, never shown below zero (a stock take may count fewer than are reserved);
- every POS line carries the POS's sequence number for that sku; a line whose sequence is not greater than
  the last one applied (a duplicate, or one that arrives late) is *stale* and changes nothing, so a reordered
  or redelivered batch never overwrites newer data. Absolute counts and deltas share one sequence per sku;
- a report sets ``on_hand`` to the counted quantity; a delta adds to it, but ``on_hand`` never goes below zero
  (a till can sell what the system did not know it had: the shelf is then empty, not negative);
- every change of a row increments its ``version``, which travels with ``stock_changed`` so a consumer can
  ignore an older version that arrives after a newer one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from marktplatz_shared.errors import InvalidInput
from marktplatz_shared.events.contracts import AdjustedLine, ReportedLine

from .validation import invalid, load

MODES = ("report", "adjust")
EVENT_TYPE_OF_MODE = {"report": "stock_reported", "adjust": "stock_adjusted"}
MODE_OF_EVENT_TYPE = {event_type: mode for mode, event_type in EVENT_TYPE_OF_MODE.items()}


@dataclass(frozen=True)
class StockLevel:
    on_hand: int = 0
    reserved: int = 0
    version: int = 0
    last_sequence: int | None = None

    @property
    def available(self) -> int:
        return max(0, self.on_hand - self.reserved)


@dataclass(frozen=True)
class StockLine:
    """One POS line: ``quantity`` for a report, ``delta`` for an adjustment."""

    sku: str
    sequence: int
    quantity: int | None = None
    delta: int | None = None
    reason: str = "correction"

    def is_newer_than(self, level: StockLevel) -> bool:
        return level.last_sequence is None or self.sequence > level.last_sequence

    def apply(self, level: StockLevel) -> StockLevel:
        on_hand = self.quantity if self.quantity is not None else max(0, level.on_hand + (self.delta or 0))
        return replace(level, on_hand=on_hand, version=level.version + 1, last_sequence=self.sequence)


@dataclass
class BatchOutcome:
    applied: int = 0
    stale: int = 0
    unknown_skus: list[str] = field(default_factory=list)
    #: sku -> the level after the batch, for every sku a line was applied to
    updated: dict[str, StockLevel] = field(default_factory=dict)
    #: skus whose availability differs after the batch, in the order they first appeared
    changed: list[str] = field(default_factory=list)


def apply_batch(levels: Mapping[str, StockLevel], lines: Iterable[StockLine]) -> BatchOutcome:
    """Apply lines in order to the current levels (skus missing from ``levels`` are unknown)."""
    outcome = BatchOutcome()
    current: dict[str, StockLevel] = {}
    unknown: dict[str, None] = {}
    for line in lines:
        level = current.get(line.sku) or levels.get(line.sku)
        if level is None:
            unknown[line.sku] = None
            continue
        if not line.is_newer_than(level):
            outcome.stale += 1
            continue
        current[line.sku] = line.apply(level)
        outcome.applied += 1
    outcome.unknown_skus = list(unknown)
    outcome.updated = current
    outcome.changed = [sku for sku, level in current.items() if level.available != levels[sku].available]
    return outcome


def parse_lines(mode: Any, lines: Any, max_lines: int) -> list[StockLine]:
    """Validate a whole batch against the POS contract before anything is applied: InvalidInput names each line."""
    if mode not in MODES:
        raise invalid("stock batch", {"mode": [f"must be one of {', '.join(MODES)}"]})
    if not isinstance(lines, list) or not lines:
        raise invalid("stock batch", {"lines": ["must be a non-empty list"]})
    if len(lines) > max_lines:
        raise invalid("stock batch", {"lines": [f"batch of {len(lines)} lines exceeds the limit of {max_lines}"]})
    schema = ReportedLine if mode == "report" else AdjustedLine
    problems: dict[str, list[str]] = {}
    parsed: list[StockLine] = []
    for index, raw in enumerate(lines):
        try:
            line = load(schema, raw, f"line {index}")
        except InvalidInput as exc:  # collect it and go on, so the caller sees every bad line
            for name, messages in exc.details.items():
                problems[f"lines.{index}.{name}"] = messages
            continue
        parsed.append(to_stock_line(mode, line))
    if problems:
        raise invalid("stock batch", problems)
    return parsed


def to_stock_line(mode: str, line: Mapping[str, Any]) -> StockLine:
    """A line already validated by the contract (an event's data) as a domain line."""
    if mode == "report":
        return StockLine(sku=line["sku"], sequence=line["sequence"], quantity=line["quantity"])
    return StockLine(
        sku=line["sku"], sequence=line["sequence"], delta=line["delta"], reason=line.get("reason", "correction")
    )
