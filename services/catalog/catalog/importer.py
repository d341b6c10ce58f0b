"""Bulk import of vendors and products, through the same handlers as single writes (and so the same events).

    python -m catalog.importer --vendors vendors.jsonl --products products.jsonl [--database-url URL]

Files are JSON Lines in the format of demo-data/README.md, or CSV with the same columns (a file ending in
``.csv``; object and list cells such as ``opening_hours``, ``attributes`` or ``fulfilment`` hold JSON, and
``fulfilment`` may also be ``pickup|delivery``). A product's ``quantity`` becomes a stock report with
sequence ``--stock-sequence`` (default 0), so an import never overwrites newer counts from a POS.

Every valid line is imported; every rejected line is reported with its file, line number and reason. Running
the same import twice changes nothing (and emits no event). Exit status 1 when a line was rejected.
The database is ``--database-url``, else ``CATALOG_DATABASE_URL``, else ``DATABASE_URL``, else var/catalog.db;
its migrations are applied first. A running catalog service publishes the recorded events from its outbox.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from marktplatz_shared.errors import PlatformError

from . import handlers
from .bootstrap import database, engine_for, migrate, url_from_environment

JSON_CELLS = {"opening_hours", "attributes", "fulfilment"}
NUMBER_CELLS = {"lat": float, "lon": float, "quantity": int}
BOOLEAN_CELLS = {"published"}
STOCK_BATCH = 1000


@dataclass
class Report:
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    rejected: list[str] = field(default_factory=list)

    def reject(self, where: str, reason: str) -> None:
        self.rejected.append(f"{where}: rejected: {reason}")

    def summary(self) -> str:
        parts = [f"{name} {count}" for name, count in sorted(self.counts.items())]
        return "imported: " + (", ".join(parts) or "nothing") + f"; rejected lines: {len(self.rejected)}"


class LineError(ValueError):
    """A line that cannot even be read as a record."""


def read_records(path: str) -> Iterator[tuple[int, dict[str, Any] | LineError]]:
    """(line number, record or the reason it cannot be read) for every non-empty line of a file."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        if path.lower().endswith(".csv"):
            yield from _read_csv(handle)
        else:
            yield from _read_jsonl(handle)


def _read_jsonl(handle: TextIO) -> Iterator[tuple[int, dict[str, Any] | LineError]]:
    for number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except ValueError as exc:
            yield number, LineError(f"not valid JSON: {exc}")
            continue
        yield number, record if isinstance(record, dict) else LineError("expected a JSON object")


def _read_csv(handle: TextIO) -> Iterator[tuple[int, dict[str, Any] | LineError]]:
    reader = csv.reader(handle, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield 1, LineError(f"malformed CSV header: {exc}")
        return
    header = [name.strip() for name in header]
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, LineError(f"malformed CSV: {exc}")
            continue
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            yield reader.line_num, LineError(f"line has {len(cells)} fields, the header has {len(header)}")
            continue
        try:
            yield reader.line_num, _typed_cells(dict(zip(header, cells, strict=True)))
        except LineError as exc:
            yield reader.line_num, exc


def _typed_cells(row: dict[str, str]) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name, cell in row.items():
        cell = cell.strip()
        if cell == "":
            continue
        if name in JSON_CELLS and cell[:1] in "[{":
            try:
                record[name] = json.loads(cell)
            except ValueError as exc:
                raise LineError(f"{name}: not valid JSON: {exc}") from None
        elif name == "fulfilment":
            record[name] = [part.strip() for part in cell.replace(",", "|").split("|") if part.strip()]
        elif name in NUMBER_CELLS:
            try:
                record[name] = NUMBER_CELLS[name](cell)
            except ValueError:
                raise LineError(f"{name}: not a number: {cell!r}") from None
        elif name in BOOLEAN_CELLS:
            record[name] = cell.lower() in ("1", "true", "yes", "ja")
        else:
            record[name] = cell
    return record


def _reason(exc: Exception) -> str:
    if isinstance(exc, PlatformError) and getattr(exc, "details", None):
        return "; ".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in sorted(exc.details.items()))
    return str(exc)


def import_vendors(db, path: str, report: Report) -> None:
    for number, record in read_records(path):
        where = f"{path}:{number}"
        if isinstance(record, LineError):
            report.reject(where, str(record))
            continue
        vendor = dict(record)
        if "id" in vendor and "vendor_id" not in vendor:
            vendor["vendor_id"] = vendor.pop("id")
        try:
            try:
                current = handlers.get_vendor(db, vendor.get("vendor_id"))
            except handlers.NotFound:
                handlers.register_vendor(db, vendor)
                report.counts["vendors registered"] += 1
                continue
            if handlers.update_vendor(db, current["vendor_id"], vendor) == current:
                report.counts["vendors unchanged"] += 1
            else:
                report.counts["vendors updated"] += 1
        except PlatformError as exc:
            report.reject(where, _reason(exc))


def import_products(db, path: str, report: Report, stock_sequence: int) -> None:
    stock: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for number, record in read_records(path):
        where = f"{path}:{number}"
        if isinstance(record, LineError):
            report.reject(where, str(record))
            continue
        product = dict(record)
        quantity = product.pop("quantity", None)
        if quantity is not None and (isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0):
            report.reject(where, f"quantity: must be a whole number, not negative (got {quantity!r})")
            continue
        try:
            before = _existing_product(db, product)
            after = handlers.upsert_product(db, product)
        except PlatformError as exc:
            report.reject(where, _reason(exc))
            continue
        report.counts["products unchanged" if before == after else "products upserted"] += 1
        if quantity is not None:
            stock[after["vendor_id"]].append({"sku": after["sku"], "quantity": quantity, "sequence": stock_sequence})
    for vendor_id, lines in stock.items():
        for start in range(0, len(lines), STOCK_BATCH):
            batch = lines[start : start + STOCK_BATCH]
            result = handlers.apply_stock_batch(db, vendor_id, "report", batch, source="import")
            report.counts["stock lines applied"] += result["applied"]
            report.counts["stock lines already current"] += result["stale"]


def _existing_product(db, product: dict[str, Any]) -> dict[str, Any] | None:
    try:
        return handlers.get_product(db, product.get("vendor_id"), product.get("sku"))
    except (handlers.NotFound, handlers.InvalidInput):
        return None


def run_import(url: str, vendors: str | None, products: str | None, stock_sequence: int = 0) -> Report:
    engine = engine_for(url)
    try:
        db = database(engine)
        report = Report()
        if vendors:
            import_vendors(db, vendors, report)
        if products:
            import_products(db, products, report, stock_sequence)
        return report
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m catalog.importer", description=__doc__.split("\n\n")[0])
    parser.add_argument("--vendors", help="vendors file (.jsonl or .csv)")
    parser.add_argument("--products", help="products file (.jsonl or .csv)")
    parser.add_argument("--database-url", help="default: CATALOG_DATABASE_URL, DATABASE_URL or var/catalog.db")
    parser.add_argument("--stock-sequence", type=int, default=0, help="POS sequence of imported quantities")
    parser.add_argument("--no-migrate", action="store_true", help="do not apply the migrations first")
    args = parser.parse_args(argv)
    if not args.vendors and not args.products:
        parser.error("give --vendors and/or --products")
    url = args.database_url or url_from_environment()
    if not args.no_migrate:
        migrate(url)
    report = run_import(url, args.vendors, args.products, args.stock_sequence)
    for line in report.rejected:
        print(line, file=sys.stderr)
    print(report.summary())
    return 1 if report.rejected else 0


if __name__ == "__main__":
    sys.exit(main())
