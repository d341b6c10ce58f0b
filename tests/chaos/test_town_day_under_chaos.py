"""A town's day under chaos: while the load generator (bench/town_day.py) pushes POS stock and checks out, every
service process and the gateway is SIGKILLed at a random moment and restarted, and RabbitMQ restarts once.
Afterwards the platform must agree with what its clients saw confirmed.

CHAOS_SECONDS sets the length of the day (default 40, the short run inside `make test`; `make test-chaos` runs
300); CHAOS_SEED replays a run. The invariants are printed as a table (and written to CHAOS_REPORT if set).
"""

from __future__ import annotations

import json
import mailbox
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter, defaultdict
from email.utils import parseaddr
from urllib.parse import unquote, urlsplit

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from bench.town_day import TownDay
from marktplatz_shared.dead_letters import list_dead_letters
from marktplatz_shared.testing import restart_rabbitmq, wait_for
from tests.chaos.platform_run import SERVICES, Platform

CHAOS_SECONDS = float(os.environ.get("CHAOS_SECONDS", "40"))
CHAOS_SEED = int(os.environ.get("CHAOS_SEED", str(random.SystemRandom().randrange(1_000_000))))
VICTIMS = [*SERVICES, "gateway"]
#: which order events e-mail whom (notifications/domain/planning.py): the shopper always, the shop on order_placed
SHOPPER_EMAIL_EVENTS = {"order_placed", "vendor_order_ready", "vendor_order_cancelled", "order_expired"}
OPEN = {"placed", "accepted", "ready"}


@pytest.fixture
def platform(amqp_uri, tmp_path):
    running = Platform(amqp_uri, tmp_path / "var")
    try:
        running.up()
        yield running
    finally:
        running.down()


def chaos(platform: Platform, rng: random.Random, seconds: float, log: list[str], stop: threading.Event) -> None:
    """Kill every process once at a random moment (and restart it), and restart the broker once, in `seconds`."""
    events = [(rng.uniform(0.1, 0.85) * seconds, victim) for victim in VICTIMS]
    events.append((rng.uniform(0.3, 0.7) * seconds, "rabbitmq"))
    started = time.monotonic()
    try:
        _unleash(platform, sorted(events), started, log, stop)
    except Exception as exc:  # noqa: BLE001 - the test fails on it, with the log
        log.append(f"{time.monotonic() - started:5.1f}s CHAOS FAILED: {type(exc).__name__}: {exc}")


def _unleash(platform, events, started, log, stop):
    for at, victim in events:
        if stop.wait(max(0.0, at - (time.monotonic() - started))):
            return
        moment = time.monotonic() - started
        if victim == "rabbitmq":
            restart_rabbitmq()
            log.append(f"{moment:5.1f}s restarted RabbitMQ")
        else:
            pid = platform.kill(victim)
            log.append(f"{moment:5.1f}s SIGKILL {victim} (pid {pid})")
        platform.up()  # starts whatever is not running; after a broker restart the services reconnect on their own
        log.append(f"{time.monotonic() - started:5.1f}s platform up again")


def catalog_stock(rpc, vendor_id: str) -> dict[str, dict]:
    products, cursor = {}, None
    while True:
        page = rpc.catalog.list_products(vendor_id, cursor=cursor, limit=100)
        products.update({p["sku"]: p for p in page["products"]})
        cursor = page["next_cursor"]
        if not cursor:
            return products


def mails_by_event(maildir) -> Counter:
    """(event id, recipient address) -> how many e-mails the platform wrote for it."""
    sent = Counter()
    if not (maildir / "new").exists():
        return sent
    for message in mailbox.Maildir(str(maildir), create=False):
        sent[(message["X-Marktplatz-Event-Id"], parseaddr(message["To"])[1])] += 1
    return sent


def broker_queues(amqp_uri: str) -> list[str]:
    vhost = unquote(urlsplit(amqp_uri).path[1:])
    exe = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    listed = subprocess.run(
        [exe, "list_queues", "-q", "-p", vhost, "name", "consumers", "messages_ready", "messages_unacknowledged"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return ["    " + line for line in (listed.stdout + listed.stderr).splitlines() if line.strip()]


def consumer_states(platform: Platform) -> list[str]:
    """Ask every service for its diagnostics dump (marktplatz_shared.diagnostics); their stacks stay in its log."""
    for svc in SERVICES:
        try:
            os.kill(platform.pid(svc), signal.SIGUSR1)
        except (OSError, ValueError):
            pass
    time.sleep(2)
    states = []
    for svc in SERVICES:
        log = (platform.var / "log" / f"{svc}.log").read_text(errors="replace").splitlines()
        states += [f"    {line}" for line in log if line.startswith("--- ") and "QueueConsumer of" in line]
    return states + [f"    (stacks in {platform.var / 'log'})"]


def order_events(var) -> list[tuple[str, str, str]]:
    """(event id, type, body) of every event the orders service recorded, from its outbox."""
    with sqlite3.connect(var / "orders.db") as db:
        return db.execute("SELECT event_id, event_type, body, sent_at FROM outbox ORDER BY id").fetchall()


def test_a_town_day_survives_killed_services_and_a_broker_restart_with_every_invariant_held(platform, capsys, tmp_path):
    rng = random.Random(CHAOS_SEED)
    day = TownDay(
        platform.url,
        platform.amqp_uri,
        platform.operator_key,
        seed=CHAOS_SEED,
        retry_for=float(os.environ.get("CHAOS_RETRY_FOR", "120")),
    )
    day.open_shops()
    chaos_log: list[str] = []
    stop_chaos = threading.Event()
    monkey = threading.Thread(target=chaos, args=(platform, rng, CHAOS_SECONDS, chaos_log, stop_chaos))
    monkey.start()
    try:
        ledger = day.run(CHAOS_SECONDS)
    finally:
        stop_chaos.set()
        monkey.join()
        day.stop()
        print("\n".join(chaos_log))
    quiet_at = time.monotonic()
    rows: list[tuple[str, bool, str]] = []
    problems: list[str] = []

    def check(name: str, held: bool, detail: str) -> None:
        rows.append((name, held, detail))
        if not held:
            problems.append(f"{name}: {detail}")

    with ClusterRpcProxy({"AMQP_URI": platform.amqp_uri}, timeout=30) as rpc:
        # 1. POS stock: every confirmed line applied once, none lost (report: last count; adjust: sum of deltas)
        def pos_mismatches():
            wrong = []
            for shop in day.shops:
                stock = catalog_stock(rpc, shop.vendor_id)
                for sku in shop.report_skus:
                    expected = ledger.reported[(shop.vendor_id, sku)][1]
                    if stock[sku]["on_hand"] != expected:
                        wrong.append(f"{shop.vendor_id}/{sku} on_hand {stock[sku]['on_hand']} != reported {expected}")
                for sku in shop.adjust_skus:
                    expected = ledger.adjusted[(shop.vendor_id, sku)]
                    if stock[sku]["on_hand"] != expected:
                        wrong.append(f"{shop.vendor_id}/{sku} on_hand {stock[sku]['on_hand']} != adjusted {expected}")
            return wrong

        try:
            wait_for(lambda: not pos_mismatches(), timeout=60, interval=0.5, message="catalog to apply the POS lines")
        except AssertionError:
            pass
        wrong = pos_mismatches()
        lines = len(ledger.reported) + len(ledger.adjusted)
        check(
            "POS stock: no line lost or applied twice (catalog = POS ground truth)",
            not wrong,
            f"{ledger.pos_lines} confirmed lines over {lines} skus; mismatches: {wrong[:5] or 0}",
        )

        # 2. orders: every placed order in a consistent state; catalog reservations agree with order states
        states, inconsistent = Counter(), []
        held = defaultdict(int)  # (vendor, sku) -> units reserved by open orders
        sold = defaultdict(int)  # (vendor, sku) -> units handed over
        for order_id, placed in ledger.orders.items():
            order = rpc.orders.get_order(order_id, placed["token"])
            for vendor_order in order["vendor_orders"]:
                state = vendor_order["state"]
                states[state] += 1
                if state not in OPEN | {"collected", "cancelled", "expired"}:
                    inconsistent.append(f"{vendor_order['vendor_order_id']} in {state}")
                for line in vendor_order["lines"]:
                    ref = (vendor_order["vendor_id"], line["sku"])
                    if state in OPEN:
                        held[ref] += line["quantity"]
                    elif state == "collected":
                        sold[ref] += line["quantity"]
        listed = set()
        for shop in day.shops:
            cursor = None
            while True:
                page = rpc.orders.list_vendor_orders(shop.vendor_id, cursor=cursor, limit=50)
                listed.update(vo["vendor_order_id"] for vo in page["orders"])
                cursor = page["next_cursor"]
                if not cursor:
                    break
        known = {vo for placed in ledger.orders.values() for vo in placed["vendor_orders"]}
        ghosts = listed - known
        check(
            "every placed order in a consistent state, none unknown to its shopper",
            not inconsistent and not ghosts and known <= listed,
            f"{len(ledger.orders)} orders, states {dict(states)}; inconsistent {inconsistent[:3] or 0}; "
            f"orders no shopper was told of {len(ghosts)}; missing from shop lists {len(known - listed)}",
        )

        # 3. no oversell: sold + held + available = initial stock, nothing negative
        def shelf_mismatches():
            wrong = []
            for shop in day.shops:
                stock = catalog_stock(rpc, shop.vendor_id)
                for sku in shop.shelf_skus:
                    ref, p = (shop.vendor_id, sku), stock[sku]
                    initial = ledger.shelf_initial[ref]
                    if (
                        min(p["available"], p["on_hand"], p["reserved"]) < 0
                        or p["on_hand"] != initial - sold[ref]
                        or p["reserved"] != held[ref]
                        or p["available"] != initial - sold[ref] - held[ref]
                    ):
                        wrong.append(
                            f"{sku}@{shop.vendor_id}: initial {initial} sold {sold[ref]} held {held[ref]} but "
                            f"on_hand {p['on_hand']} reserved {p['reserved']} available {p['available']}"
                        )
            return wrong

        try:
            wait_for(lambda: not shelf_mismatches(), timeout=30, interval=0.5, message="reservations to settle")
        except AssertionError:
            pass
        wrong = shelf_mismatches()
        units = sum(sold.values()) + sum(held.values())
        check(
            "no oversell: sold + reserved + available = initial stock, none negative",
            not wrong,
            f"{units} units sold or reserved; checkouts refused as short {ledger.checkouts_short}; "
            f"mismatches: {wrong[:3] or 0}",
        )

        # 4. notifications: every order event e-mailed exactly once to each recipient
        def notification_gaps():
            events = order_events(platform.var)
            unsent = [e for e in events if e[3] is None]
            mails = mails_by_event(platform.var / "mail")
            missing, twice = [], [k for k, n in mails.items() if n > 1]
            for event_id, event_type, body, _ in events:
                if event_type not in SHOPPER_EMAIL_EVENTS:
                    continue
                data = json.loads(body).get("data", json.loads(body))
                shopper = (data.get("shopper") or {}).get("email")
                recipients = [shopper] if shopper else []
                if event_type == "order_placed":
                    recipients += [f"laden{int(vo['vendor_id'][-2:])}@example.de" for vo in data["vendor_orders"]]
                missing += [(event_id, r) for r in recipients if mails[(event_id, r)] == 0]
            return events, unsent, missing, twice, mails

        def settled():
            _events, unsent, missing, twice, _mails = notification_gaps()
            return not unsent and not missing

        try:
            wait_for(settled, timeout=60, interval=0.5, message="order events to be notified")
        except AssertionError:
            pass
        events, unsent, missing, twice, mails = notification_gaps()
        check(
            "every order event notified exactly once (e-mail per recipient)",
            not unsent and not missing and not twice,
            f"{len(events)} order events, {sum(mails.values())} e-mails; unpublished {len(unsent)}, "
            f"missing {missing[:3] or 0}, duplicated {twice[:3] or 0}",
        )
        double_logged = []
        for order_id in ledger.orders:
            seen = Counter(
                (n["event_id"], n["channel"], n["recipient"]) for n in rpc.notifications.sent_for_order(order_id)
            )
            double_logged += [k for k, n in seen.items() if n > 1]
        if double_logged:
            check("notification log: one row per event and recipient", False, str(double_logged[:3]))

        # 5. search equals catalog within 5 s of quiet (quiet: the day over and the catalog settled)
        quiet_at = time.monotonic()

        def search_mismatches():
            wrong = []
            for shop in day.shops:
                stock = catalog_stock(rpc, shop.vendor_id)
                found = rpc.search.search({"q": "", "vendor_id": shop.vendor_id, "per_page": 100, "page": 1})
                indexed = {h["sku"]: h["available"] for h in found["hits"]}
                wrong += [
                    f"{shop.vendor_id}/{sku}: search {indexed.get(sku)} catalog {p['available']}"
                    for sku, p in stock.items()
                    if indexed.get(sku) != p["available"]
                ]
            return wrong

        try:
            wait_for(lambda: not search_mismatches(), timeout=5, interval=0.2, message="search to equal catalog")
            search_wrong = []
        except AssertionError:
            search_wrong = search_mismatches()
        caught_up = f"equal after {time.monotonic() - quiet_at:.1f} s"
        if search_wrong:  # the invariant failed; say whether search is slow or has lost updates for good
            try:
                wait_for(lambda: not search_mismatches(), timeout=60, interval=1, message="search to catch up")
                caught_up = f"not equal at 5 s, equal after {time.monotonic() - quiet_at:.1f} s"
            except AssertionError:
                caught_up = "still not equal after 60 s"
        check(
            "search index equals catalog within 5 s of quiet",
            not search_wrong,
            f"{sum(len(s.report_skus) + len(s.adjust_skus) + len(s.shelf_skus) for s in day.shops)} products; "
            f"{caught_up}; mismatches at 5 s {search_wrong[:3] or 0}",
        )

    # 6. dead letters
    dead = {svc: list_dead_letters(platform.amqp_uri, svc) for svc in SERVICES}
    explained = [f"{svc}: {d.handler} {d.reason} {d.error[:120]}" for svc, letters in dead.items() for d in letters]
    check("dead letters: 0", not explained, "; ".join(explained) or "0 in " + ", ".join(SERVICES))

    report = [
        f"chaos run: seed {CHAOS_SEED}, a 12-hour day in {CHAOS_SECONDS:.0f} s, {os.cpu_count()} CPUs",
        "",
        *("    " + line for line in chaos_log),
        "",
        "| load | count |",
        "|---|---:|",
        *(f"| {name} | {value} |" for name, value in ledger.summary().items()),
        "",
        "| invariant | held | detail |",
        "|---|---|---|",
        *(f"| {name} | {'yes' if held else 'NO'} | {detail} |" for name, held, detail in rows),
    ]
    if problems:  # which queue had no consumer or kept messages: tells a stalled consumer from a slow one
        report += ["", "broker queues at the end (name, consumers, ready, unacked):", *broker_queues(platform.amqp_uri)]
        report += ["", "queue consumers as each service sees them (kill -USR1):", *consumer_states(platform)]
    text = "\n".join(report)
    if os.environ.get("CHAOS_REPORT"):
        with open(os.environ["CHAOS_REPORT"], "w") as out:
            out.write(text + "\n")
    with capsys.disabled():
        print("\n" + text)
    assert len(chaos_log) >= 2 * (len(VICTIMS) + 1), "the chaos did not happen:\n" + "\n".join(chaos_log)
    assert "CHAOS FAILED" not in text
    assert not problems, "\n".join(problems)
