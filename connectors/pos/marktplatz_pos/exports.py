"""Reading a POS export file into stock lines, checked against the platform's POS contract.

CSV with a header row, comma or semicolon separated, UTF-8:

- ``report`` (absolute counts, a stock take or a full feed): ``sku,quantity[,sequence]``
- ``adjust`` (deltas: sale, return, delivery): ``sku,delta,sequence[,reason]``

``sequence`` is the POS's own, increasing number; the marketplace ignores a line whose sequence is not newer
than the last it applied for that sku. A report without a sequence column gets the file's modification time
in milliseconds (a later export is a newer count).
"""

from __future__ import annotations

import csv
import io
import os
from typing import Any

from marshmallow import ValidationError

from marktplatz_shared.events.contracts import AdjustedLine, ReportedLine
from marktplatz_shared.events.envelope import flatten_errors

MODES = ("report", "adjust")
COLUMNS = {"report": ("sku", "quantity"), "adjust": ("sku", "delta", "sequence")}
INTEGER_COLUMNS = ("quantity", "delta", "sequence")


class ExportError(ValueError):
    """The file cannot be sent as it is; ``problems`` lists each reason (``line 3: quantity: ...``)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:20] + ([f"... and {len(problems) - 20} more"] if len(problems) > 20 else [])
        super().__init__("; ".join(shown))


def mode_of_file(path: str, default: str) -> str:
    """``stock.adjust.csv`` is an adjustment, ``stock.report.csv`` a report, anything else ``default``."""
    name = os.path.basename(path).lower()
    for mode in MODES:
        if name.endswith(f".{mode}.csv"):
            return mode
    return default


def read_export(path: str, mode: str) -> list[dict[str, Any]]:
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportError([f"not UTF-8 text: {exc}"]) from None
    return parse_export(text, mode, default_sequence=int(os.stat(path).st_mtime * 1000))


def parse_export(text: str, mode: str, default_sequence: int | None = None) -> list[dict[str, Any]]:
    """Every line of the export as a contract-valid line, or ExportError naming every bad line."""
    if mode not in MODES:
        raise ExportError([f"unknown mode {mode!r}: use report or adjust"])
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise ExportError(["the file is empty"]) from None
    except csv.Error as exc:
        raise ExportError([f"line 1: malformed CSV: {exc}"]) from None
    missing = [name for name in COLUMNS[mode] if name not in header]
    if mode == "report" and "sequence" not in header and default_sequence is None:
        missing.append("sequence")
    if missing:
        raise ExportError([f"a {mode} export needs the column(s) {', '.join(missing)} (header: {','.join(header)})"])
    schema = ReportedLine() if mode == "report" else AdjustedLine()
    wanted = set(schema.fields)
    lines, problems = [], []
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(f"line {reader.line_num}: malformed CSV: {exc}")
            continue
        if not any(cell.strip() for cell in cells):
            continue
        number = reader.line_num
        if len(cells) != len(header):
            problems.append(f"line {number}: {len(cells)} fields, the header has {len(header)}")
            continue
        record: dict[str, Any] = {}
        unreadable = False
        for name, cell in zip(header, cells, strict=True):
            cell = cell.strip()
            if name not in wanted or cell == "":
                continue
            if name in INTEGER_COLUMNS:
                try:
                    record[name] = int(cell)
                except ValueError:
                    problems.append(f"line {number}: {name}: not a whole number: {cell!r}")
                    unreadable = True
            else:
                record[name] = cell
        if unreadable:
            continue
        if "sequence" not in record and default_sequence is not None and mode == "report":
            record["sequence"] = default_sequence
        try:
            lines.append(schema.dump(schema.load(record)))
        except ValidationError as err:
            for field, messages in flatten_errors(err.messages).items():
                problems.append(f"line {number}: {field}: {' '.join(messages)}")
    if problems:
        raise ExportError(problems)
    if not lines:
        raise ExportError(["the file has no stock lines"])
    return lines
