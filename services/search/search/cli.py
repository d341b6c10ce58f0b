"""``marktplatz-search``: the operator's commands for a running search service, over the broker.

    marktplatz-search stats                      documents, segments, size, index lag, whether a rebuild is due
    marktplatz-search rebuild                    rebuild the index from catalog, switch it in; search answers on
    marktplatz-search report --since 2026-12-01  what shoppers searched, and what found nothing

Each prints the service's answer as JSON. The broker is ``--amqp-uri`` or ``AMQP_URI`` (as the services use it); on
Kubernetes run it in a search pod: ``kubectl exec deploy/search -- marktplatz-search stats``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings
from datetime import UTC, datetime, timedelta

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")  # nameko's import of it, not ours to fix

from marktplatz_shared import config as cfg  # noqa: E402 - after the filter: it imports nameko

REBUILD_TIMEOUT = 3600.0  # seconds: a rebuild of 1M products takes minutes, its RPC answers when it has switched in
CALL_TIMEOUT = 30.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="marktplatz-search", description=__doc__.split("\n\n")[0])
    parser.add_argument("--amqp-uri", default=os.environ.get(cfg.AMQP_URI, cfg.DEFAULT_AMQP_URI))
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("stats", help="the index: documents, segments, size, lag, rebuild_reason")
    rebuild = sub.add_parser("rebuild", help="rebuild the index from catalog and switch it in")
    rebuild.add_argument("--timeout", type=float, default=REBUILD_TIMEOUT, help="seconds to wait for it")
    report = sub.add_parser("report", help="top queries and top queries that found nothing")
    report.add_argument("--since", help="ISO time (default: 7 days ago)")
    report.add_argument("--until", help="ISO time (default: now)")
    report.add_argument("--limit", type=int, default=20)
    args = parser.parse_args(argv)

    now = datetime.now(UTC)
    if args.command == "stats":
        call, timeout = (lambda search: search.stats()), CALL_TIMEOUT
    elif args.command == "rebuild":
        call, timeout = (lambda search: search.rebuild()), args.timeout
    else:
        since, until = args.since or (now - timedelta(days=7)).isoformat(), args.until or now.isoformat()
        call, timeout = (lambda search: search.query_report(since, until, limit=args.limit)), CALL_TIMEOUT
    return _call(args.amqp_uri, call, timeout)


def _call(amqp_uri: str, call, timeout: float) -> int:
    logging.getLogger("amqp").setLevel(logging.ERROR)  # a late reply as the proxy closes its channel: harmless
    from kombu.utils.url import maybe_sanitize_url
    from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    try:
        with ClusterRpcProxy({cfg.AMQP_URI: amqp_uri}, timeout=timeout) as cluster:
            answer = call(cluster.search)
    except RemoteError as exc:  # the service refused: bad input, a rebuild already running
        print(f"search refused: {exc.exc_type}: {exc.value}", file=sys.stderr)
        return 1
    except UnknownService:
        print("no search service is running on this broker", file=sys.stderr)
        return 2
    except RpcTimeout:
        print(f"search did not answer within {timeout:g} s", file=sys.stderr)
        return 2
    except OSError as exc:  # the broker is not reachable
        print(f"cannot reach the broker at {maybe_sanitize_url(amqp_uri)}: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(answer, ensure_ascii=False, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
