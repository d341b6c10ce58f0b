"""``marktplatz-pos``: push stock from a till or merchandise system to the marketplace.

    marktplatz-pos push --vendor v-lin-03 --file export.csv [--mode report|adjust]
    marktplatz-pos watch /var/pos/exports --vendor v-lin-03 [--mode report|adjust]

The broker is ``--amqp-uri``, else ``MARKTPLATZ_AMQP_URI``, else amqp://guest:guest@127.0.0.1:5672/. In
production it is your shop's own broker user (``pos-<vendor id>``), given to you by the operator.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .exports import MODES, ExportError, read_export
from .publisher import DEFAULT_BATCH_SIZE, DEFAULT_RETRY_FOR, PushError, StockPublisher
from .watcher import watch

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"


def _publisher(args) -> StockPublisher:
    return StockPublisher(args.amqp_uri, args.vendor, batch_size=args.batch_size, retry_for=args.retry_for)


def _push(args) -> int:
    try:
        lines = read_export(args.file, args.mode)
    except ExportError as exc:
        for problem in exc.problems:
            print(f"{args.file}: {problem}", file=sys.stderr)
        print(f"{args.file}: nothing sent", file=sys.stderr)
        return 2
    with _publisher(args) as publisher:
        try:
            result = publisher.push(args.mode, lines)
        except PushError as exc:
            print(f"{args.file}: {exc}", file=sys.stderr)
            return 1
    print(f"{args.file}: sent {result.lines} lines ({args.mode}) in {result.messages} messages, all confirmed")
    return 0


def _watch(args) -> int:
    with _publisher(args) as publisher:
        try:
            outcome = watch(args.folder, publisher, args.mode, interval=args.interval, once=args.once)
        except KeyboardInterrupt:
            return 0
    return 1 if outcome.failed or outcome.retry_later else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="marktplatz-pos", description="Push stock from your POS to Marktplatz.")
    parser.add_argument("--amqp-uri", default=os.environ.get("MARKTPLATZ_AMQP_URI", DEFAULT_AMQP_URI))
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="lines per message (max 5000)")
    parser.add_argument(
        "--retry-for", type=float, default=DEFAULT_RETRY_FOR, help="seconds to keep retrying while the broker is away"
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    commands = parser.add_subparsers(dest="command", required=True)
    push = commands.add_parser("push", help="send one export file")
    push.add_argument("--vendor", required=True, help="your vendor id, e.g. v-lin-03")
    push.add_argument("--file", required=True)
    push.add_argument("--mode", choices=MODES, default="report", help="report: counts; adjust: deltas")
    watcher = commands.add_parser("watch", help="send every export dropped into a folder")
    watcher.add_argument("folder")
    watcher.add_argument("--vendor", required=True)
    watcher.add_argument("--mode", choices=MODES, default="report", help="unless the name ends .report/.adjust.csv")
    watcher.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
    watcher.add_argument("--once", action="store_true", help="handle the files there now, then exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    logging.getLogger("pika").setLevel(logging.CRITICAL)
    return _push(args) if args.command == "push" else _watch(args)


if __name__ == "__main__":
    sys.exit(main())
