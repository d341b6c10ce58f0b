"""One markdown report of a `make bench` run: every benchmark's figures next to the baselines of the same run.

Each benchmark module prints its own table (and keeps doing so); this module runs them one after the other,
shows their output live, reads their tables back and writes bench/results/latest.md: the machine, one summary
table (benchmark, measure, figure, same-run baseline) and each module's own table. A row whose name says
``baseline``, ``raw`` or ``direct`` is a baseline; it is shown beside every other row of its benchmark.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
BASELINE = re.compile(r"\b(baseline|raw|direct|bare)\b", re.IGNORECASE)


@dataclass
class Outcome:
    name: str
    output: str
    seconds: float
    status: str
    tables: list[list[list[str]]] = field(default_factory=list)


def tables_in(text: str) -> list[list[list[str]]]:
    """The markdown tables of ``text``, each a list of rows (the header first), separator rows left out."""
    tables, current = [], []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|"):
            cells = [c.strip() for c in stripped[1:-1].split("|")]
            if not all(re.fullmatch(r":?-+:?", c) for c in cells):
                current.append(cells)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def figure(header: list[str], cells: list[str]) -> str:
    if len(header) == 2:
        return cells[1]
    return ", ".join(f"{h} {c}" for h, c in zip(header[1:], cells[1:], strict=False))


def summary_rows(outcome: Outcome) -> list[tuple[str, str, str, str]]:
    rows = []
    for table in outcome.tables:
        header, body = table[0], table[1:]
        if len(header) < 2:
            continue

        baselines = [(cells[0], f"{cells[0]}: {figure(header, cells)}") for cells in body if BASELINE.search(cells[0])]
        for cells in body:
            if not BASELINE.search(cells[0]):
                own = _baselines_of(cells[0], baselines)
                rows.append((outcome.name, cells[0], figure(header, cells), "<br>".join(own) or "-"))
    if not outcome.tables:
        rows.append((outcome.name, "(no table)", outcome.status, "-"))
    return rows


def _baselines_of(measure: str, baselines: list[tuple[str, str]]) -> list[str]:
    """The baselines beside a row: those whose name starts like the row's ("1,000,000, text" and "1,000,000, raw
    tantivy": the same catalogue size), or every one of the table when none does."""
    scope = measure.split(", ")[0]
    same = [text for name, text in baselines if name.split(", ")[0] == scope]
    return same or [text for _name, text in baselines]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kb = int(Path("/proc/meminfo").read_text().split("MemTotal:")[1].split()[0])
        memory = f", {kb / 1024 / 1024:.1f} GiB RAM"
    rabbit = ""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        status = subprocess.run(["rabbitmqctl", "version"], capture_output=True, text=True, timeout=30).stdout
        rabbit = f", RabbitMQ {status.strip()}" if status.strip() else ""
    return (
        f"{cpu}, {os.cpu_count()} CPUs{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}{rabbit}"
    )


def run_one(name: str) -> Outcome:
    """One benchmark in a process of its own: what an earlier one left behind (eventlet's monkey patching,
    threads, a large heap) must not slow the next one down. Its output is shown as it comes and kept."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-c", f"import sys; from bench.{name} import main; sys.exit(main([]))"],
        cwd=Path(__file__).resolve().parents[1],
        stdout=subprocess.PIPE,  # the tables; warnings and logs on stderr stay out of the report
        text=True,
    )
    lines = []
    for line in proc.stdout:
        sys.stdout.write(line)
        sys.stdout.flush()
        lines.append(line)
    code = proc.wait()
    status = "ok" if code == 0 else f"failed: exit {code}"
    output = "".join(lines)
    return Outcome(name, output, time.perf_counter() - started, status, tables_in(output))


def render(outcomes: list[Outcome]) -> str:
    lines = [
        f"# make bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {machine()}",
        "",
        "| benchmark | measure | figure | same-run baseline |",
        "|---|---|---|---|",
    ]
    for outcome in outcomes:
        lines += [f"| {' | '.join(c.replace('|', '/') for c in row)} |" for row in summary_rows(outcome)]
    lines += ["", "| benchmark | status | seconds |", "|---|---|---:|"]
    lines += [f"| {o.name} | {o.status} | {o.seconds:.0f} |" for o in outcomes]
    for outcome in outcomes:
        lines += ["", f"## {outcome.name}", "", outcome.output.strip()]
    return "\n".join(lines) + "\n"


def main(names: list[str]) -> int:
    outcomes = []
    for name in names:
        print(f"\n## {name}\n", flush=True)
        outcomes.append(run_one(name))
    report = render(outcomes)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.md").write_text(report)
    print("\n" + report.split("\n## ")[0])
    print(f"written to {RESULTS / 'latest.md'}")
    return 0 if all(o.status == "ok" for o in outcomes) else 1
