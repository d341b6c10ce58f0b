"""``kill -USR1 <pid>`` on a service writes every green thread's stack and each queue consumer's state to its
log (stderr): what a stalled consumer is waiting for, without a debugger on the operator's machine."""

from __future__ import annotations

import gc
import signal
import sys
import time
import traceback

import greenlet


def dump(out=None) -> str:
    lines = [f"=== diagnostics at {time.strftime('%Y-%m-%dT%H:%M:%S')} ==="]
    from nameko.messaging import QueueConsumer

    for obj in gc.get_objects():
        # type(), not isinstance(): gc also holds dead weak proxies and lazy modules that attribute access wakes
        if not issubclass(type(obj), QueueConsumer) or getattr(obj, "container", None) is None:
            continue
        if getattr(obj, "_gt", None) is not None and not obj._gt.dead:  # not a stopped container's
            lines.append(_consumer_state(obj))
    for obj in gc.get_objects():
        if issubclass(type(obj), greenlet.greenlet) and obj.gr_frame is not None:
            lines.append(f"--- greenlet {obj!r}")
            lines.extend(line.rstrip() for line in traceback.format_stack(obj.gr_frame))
    text = "\n".join(lines) + "\n"
    out = out or sys.stderr
    out.write(text)
    out.flush()
    return text


def _consumer_state(consumer) -> str:
    alive_at = getattr(consumer, "_alive_at", None)
    since = f"{time.monotonic() - alive_at:.1f} s ago" if alive_at else "never"
    kombu_consumers = []
    for kombu_consumer in list(getattr(consumer, "_consumers", {}).values()):
        channel = kombu_consumer.channel
        amqp_connection = getattr(channel, "connection", None)
        tags = list(getattr(kombu_consumer, "_active_tags", {}).values())
        kombu_consumers.append(
            f"{[q.name for q in kombu_consumer.queues]} tags {tags} "
            f"channel open {getattr(channel, 'is_open', '?')} "
            f"connected {getattr(amqp_connection, 'connected', '?')} "
            f"last heartbeat received {getattr(amqp_connection, 'last_heartbeat_received', '?')}"
        )
    return (
        f"--- {type(consumer).__name__} of {consumer.container.service_name}: last sign of life {since}, "
        f"should_stop {consumer.should_stop}, worker threads {len(consumer.container._worker_threads)}, "
        f"consumers: {'; '.join(kombu_consumers) or 'none'}"
    )


def install() -> None:
    """Take SIGUSR1 unless something else handles it already (gunicorn reopens its logs on it)."""
    if not hasattr(signal, "SIGUSR1") or signal.getsignal(signal.SIGUSR1) not in (signal.SIG_DFL, None):
        return
    try:
        signal.signal(signal.SIGUSR1, _on_signal)
    except ValueError:  # not the main thread: only the main thread may set handlers
        pass


def _on_signal(signum, frame) -> None:
    dump()
