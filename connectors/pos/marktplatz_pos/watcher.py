"""Watching a folder where a POS or merchandise system drops its exports.

Every ``*.csv`` file that has stopped changing (same size and time for one poll interval, so a file still
being written is left alone) is read and pushed. Then it is moved to ``done/``, or to ``failed/`` together
with ``<name>.reason.txt`` saying why (malformed file, invalid lines, refused by the broker). While the
broker is away a file stays where it is and is tried again on the next poll: nothing is lost or half-sent
without it being said.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from dataclasses import dataclass, field

from .exports import ExportError, mode_of_file, read_export
from .publisher import PushError, StockPublisher

log = logging.getLogger(__name__)

DONE, FAILED = "done", "failed"


@dataclass
class WatchOutcome:
    done: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    retry_later: list[str] = field(default_factory=list)


def _move(path: str, folder: str) -> str:
    target_dir = os.path.join(os.path.dirname(path), folder)
    os.makedirs(target_dir, exist_ok=True)
    target = os.path.join(target_dir, os.path.basename(path))
    if os.path.exists(target):
        stem, ext = os.path.splitext(os.path.basename(path))
        target = os.path.join(target_dir, f"{stem}.{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 10**6}{ext}")
    shutil.move(path, target)
    return target


def process_file(path: str, publisher: StockPublisher, default_mode: str, outcome: WatchOutcome) -> None:
    name = os.path.basename(path)
    mode = mode_of_file(path, default_mode)
    try:
        lines = read_export(path, mode)
        result = publisher.push(mode, lines, correlation_id=f"pos-file-{name}")
    except ExportError as exc:
        _fail(path, "\n".join(exc.problems), outcome)
        return
    except PushError as exc:
        if exc.permanent:
            _fail(path, str(exc), outcome)
        else:
            log.warning("%s: %s; will try again", name, exc)
            outcome.retry_later.append(name)
        return
    target = _move(path, DONE)
    log.info("%s: %d lines confirmed in %d messages (%s)", name, result.lines, result.messages, mode)
    print(f"{name}: sent {result.lines} lines ({mode}) in {result.messages} messages -> {target}", flush=True)
    outcome.done.append(name)


def _fail(path: str, reason: str, outcome: WatchOutcome) -> None:
    target = _move(path, FAILED)
    with open(target + ".reason.txt", "w", encoding="utf-8") as handle:
        handle.write(reason + "\n")
    print(f"{os.path.basename(path)}: failed -> {target}: {reason.splitlines()[0]}", flush=True)
    outcome.failed.append(os.path.basename(path))


def candidates(folder: str) -> dict[str, tuple[int, float]]:
    found = {}
    for entry in os.scandir(folder):
        if entry.is_file() and entry.name.lower().endswith(".csv") and not entry.name.startswith("."):
            stat = entry.stat()
            found[entry.path] = (stat.st_size, stat.st_mtime)
    return found


def watch(
    folder: str,
    publisher: StockPublisher,
    default_mode: str = "report",
    interval: float = 2.0,
    once: bool = False,
) -> WatchOutcome:
    """Poll ``folder`` every ``interval`` seconds; with ``once``, handle the files there now and return."""
    outcome = WatchOutcome()
    previous: dict[str, tuple[int, float]] = {}
    while True:
        current = candidates(folder)
        ready = sorted(path for path, stat in current.items() if once or previous.get(path) == stat)
        for path in ready:
            process_file(path, publisher, default_mode, outcome)
        if once:
            return outcome
        previous = candidates(folder)
        time.sleep(interval)
