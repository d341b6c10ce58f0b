"""List, show and replay a service's dead letters.

    marktplatz-dead-letters --service catalog list
    marktplatz-dead-letters --service catalog show 3f0c...
    marktplatz-dead-letters --service catalog replay 3f0c...     # one message, by id
    marktplatz-dead-letters --service catalog replay --all

The broker comes from ``--amqp-uri``, else ``AMQP_URI``, else the local default. Replay sends a message back
to the queue of the handler that gave up on it (through ``<service>.redeliver``) with its attempts reset.
Listing does not consume: messages are returned to the queue when the command ends.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from amqp.exceptions import InternalError, NotFound
from kombu import Connection, Producer

from . import config as cfg
from .broker import dead_letter_queue, redeliver_exchange

PEEK_LIMIT = 10_000
#: a quorum queue whose process is still starting (just declared, or the broker just restarted) refuses a
#: basic.get with INTERNAL_ERROR "noproc" for a moment; listing and replay try again for this long
QUEUE_START_WAIT = 5.0


@dataclass
class DeadLetter:
    message_id: str
    reason: str
    error: str
    queue: str
    handler: str
    attempts: int
    dead_lettered_at: str
    routing_key: str
    body: str

    @classmethod
    def from_message(cls, message) -> DeadLetter:
        headers = message.headers or {}
        body = message.body
        text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)
        return cls(
            message_id=(message.properties or {}).get("message_id") or "",
            reason=str(headers.get("x-reason", "")),
            error=str(headers.get("x-error", "")),
            queue=str(headers.get("x-original-queue", "")),
            handler=str(headers.get("x-handler", "")),
            attempts=int(headers.get("x-attempts", 0) or 0),
            dead_lettered_at=str(headers.get("x-dead-lettered-at", "")),
            routing_key=str(headers.get("x-original-routing-key", "")),
            body=text,
        )


def _peek(channel, queue_name: str, limit: int):
    """Fetch up to ``limit`` messages without acknowledging them (they return when the channel closes)."""
    try:
        channel.queue_declare(queue_name, passive=True)
    except NotFound:  # no handler of this service has parked anything yet
        return []
    messages = []
    while len(messages) < limit:
        message = channel.basic_get(queue_name, no_ack=False)
        if message is None:
            break
        messages.append(message)
    return messages


def while_queue_starts(attempt, wait: float | None = None):
    """``attempt()``, tried again while the broker says the queue's process is not up yet ("noproc")."""
    deadline = time.monotonic() + (QUEUE_START_WAIT if wait is None else wait)
    while True:
        try:
            return attempt()
        except InternalError as exc:
            if "noproc" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.2)


def list_dead_letters(amqp_uri: str, service: str, limit: int = 100) -> list[DeadLetter]:
    return while_queue_starts(lambda: _list(amqp_uri, service, limit))


def _list(amqp_uri: str, service: str, limit: int) -> list[DeadLetter]:
    queue = dead_letter_queue(service, {})
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        try:
            return [DeadLetter.from_message(_wrap(channel, m)) for m in _peek(channel, queue.name, limit)]
        finally:
            channel.close()


def replay_dead_letters(amqp_uri: str, service: str, message_id: str | None = None) -> int:
    """Send dead letters (all, or the one with ``message_id``) back to their handlers; return how many.
    Each is acknowledged right after it is published, so trying again after a "noproc" on fetching the next
    one sends none of those before it twice."""
    replayed = [0]
    while_queue_starts(lambda: _replay(amqp_uri, service, message_id, replayed))
    return replayed[0]


def _replay(amqp_uri: str, service: str, message_id: str | None, replayed: list[int]) -> None:
    queue = dead_letter_queue(service, {})
    exchange = redeliver_exchange(service)
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        channel = conn.channel()
        producer = Producer(conn.channel())
        exchange.declare(channel=producer.channel)
        try:
            for raw in _peek(channel, queue.name, PEEK_LIMIT):
                message = _wrap(channel, raw)
                letter = DeadLetter.from_message(message)
                if message_id is not None and letter.message_id != message_id:
                    continue
                headers = {
                    k: v
                    for k, v in (message.headers or {}).items()
                    if k not in ("x-reason", "x-error", "x-dead-lettered-at", "x-death", "x-last-error")
                }
                headers["x-attempts"] = 0
                headers["x-replayed-at"] = datetime.now(UTC).isoformat()
                producer.publish(
                    message.body,
                    exchange=exchange,
                    routing_key=letter.queue,
                    headers=headers,
                    content_type=message.content_type,
                    content_encoding=message.content_encoding,
                    message_id=letter.message_id,
                    delivery_mode=2,
                    retry=False,
                )
                channel.basic_ack(raw.delivery_tag)
                replayed[0] += 1
        finally:
            channel.close()


def _wrap(channel, raw):
    """py-amqp's basic_get returns an amqp.Message; give it kombu's attribute names."""
    return channel.message_to_python(raw) if hasattr(channel, "message_to_python") else raw


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="marktplatz-dead-letters", description=__doc__.split("\n\n")[0])
    parser.add_argument("--service", required=True, help="service whose dead letters to read, e.g. catalog")
    parser.add_argument("--amqp-uri", default=os.environ.get(cfg.AMQP_URI, cfg.DEFAULT_AMQP_URI))
    sub = parser.add_subparsers(dest="command", required=True)
    listing = sub.add_parser("list", help="one line per dead letter")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true")
    show = sub.add_parser("show", help="one dead letter with its body and error")
    show.add_argument("message_id")
    replay = sub.add_parser("replay", help="send dead letters back to their handler")
    replay.add_argument("message_id", nargs="?")
    replay.add_argument("--all", action="store_true")
    args = parser.parse_args(argv)

    if args.command == "list":
        letters = list_dead_letters(args.amqp_uri, args.service, args.limit)
        if args.json:
            print(json.dumps([asdict(letter) for letter in letters], ensure_ascii=False, indent=2))
        else:
            print(f"{len(letters)} dead letter(s) in {args.service}.dead-letters")
            for letter in letters:
                print(
                    f"{letter.message_id}  {letter.dead_lettered_at}  {letter.reason:<11} {letter.queue}  "
                    f"{letter.error.splitlines()[0][:120] if letter.error else ''}"
                )
        return 0
    if args.command == "show":
        for letter in list_dead_letters(args.amqp_uri, args.service, PEEK_LIMIT):
            if letter.message_id == args.message_id:
                print(json.dumps(asdict(letter), ensure_ascii=False, indent=2))
                return 0
        print(f"no dead letter {args.message_id} in {args.service}.dead-letters", file=sys.stderr)
        return 1
    if not args.all and not args.message_id:
        parser.error("replay needs a message id or --all")
    count = replay_dead_letters(args.amqp_uri, args.service, None if args.all else args.message_id)
    print(f"replayed {count} dead letter(s)")
    if args.message_id and count == 0:
        print(f"no dead letter {args.message_id} in {args.service}.dead-letters", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
