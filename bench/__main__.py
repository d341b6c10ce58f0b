"""Run the benchmarks: ``python -m bench`` (all) or ``python -m bench relay catalog`` (some).

Each run also writes one markdown report with every figure next to its same-run baseline to
bench/results/latest.md (bench/report.py). ``python -m bench town_day`` replays a town's day against a running
platform; it is a load generator, not a benchmark, so a plain ``python -m bench`` leaves it out.
"""

import importlib
import pkgutil
import sys
from pathlib import Path

#: modules of bench/ that are not benchmarks: the report writer and the load generator
NOT_BENCHMARKS = {"report", "town_day"}


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    if argv[:1] == ["town_day"]:
        return importlib.import_module("bench.town_day").main(argv[1:])
    names = argv or [n for n in available() if n not in NOT_BENCHMARKS]
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}", file=sys.stderr)
        return 2
    return importlib.import_module("bench.report").main(names)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
