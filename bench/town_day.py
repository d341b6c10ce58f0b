"""A day in a town, replayed against a running platform: the load generator of the chaos test and of demos.

    python -m bench town_day                         (a compressed day against a platform it starts itself)
    python -m bench.town_day --gateway http://127.0.0.1:8000 --amqp amqp://guest:guest@127.0.0.1:5672/ \\
        --seconds 120 --seed 7                       (against a running platform, e.g. after `make up`)

The day runs from 08:00 to 20:00 town time, compressed into ``seconds`` of wall time (the compression factor
is 12 h / seconds). Its shape: shops' tills push a stock take at opening and sales and deliveries all day
(POS connector over AMQP, publisher confirms); shoppers search near the town centre, look at products and some
check out (gateway HTTP, retrying with the same Idempotency-Key until they get an answer, as a frontend should);
vendors accept, ready, hand over or cancel their orders (gateway HTTP with their retailer keys). Shoppers peak at
lunch and after work. Everything random comes from one seeded RNG per actor, so a seed replays the same day.

The shops of the day are its own (``town-<run>-NN``), so it can run beside the demo region. Each shop has three
kinds of products, which keeps every figure checkable afterwards (:meth:`TownDay.ledger`):
- ``report`` products: the till reports absolute counts; the catalog must end at the last confirmed count;
- ``adjust`` products: the till sends deltas (sales, deliveries); the catalog must end at the initial count
  plus every confirmed delta, so a line lost or applied twice shows;
- ``shelf`` products: sold only through checkouts; stock sold plus stock available equals the initial stock.
"""

from __future__ import annotations

import argparse
import logging
import random
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import requests

TOWN_CENTRE = (50.4790, 9.5230)
DAY_START_HOUR, DAY_END_HOUR = 8.0, 20.0
WORDS = ["Brot", "Kaffee", "Honig", "Seife", "Kerze", "Schal", "Tasse", "Buch", "Tee", "Apfelsaft", "Socken", "Käse"]
SHELF_STOCK = 40
REPORT_STOCK = 25
ADJUST_STOCK = 60
#: requests a frontend retries (the answer was lost or a service was away), with the same idempotency key
RETRYABLE_STATUS = {429, 500, 502, 503, 504}
log = logging.getLogger("town_day")


def gtin13(number: int) -> str:
    """A valid GTIN-13 from the in-store range (prefix 2), so the day's products never clash with real ones."""
    first = f"2{number:011d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first))
    return first + str((10 - total % 10) % 10)


def shopper_intensity(hour: float) -> float:
    """Relative shopper traffic over the day: a morning trickle, a lunch peak, an after-work peak."""
    if hour < 10:
        return 0.4
    if 12 <= hour < 14:
        return 1.6
    if 17 <= hour < 19:
        return 2.0
    return 1.0


def pos_intensity(hour: float) -> float:
    """Relative POS traffic: the stock take at opening, then sales and deliveries all day."""
    return 3.0 if hour < 9 else 1.0


@dataclass
class Shop:
    vendor_id: str
    key: str = ""
    report_skus: list[str] = field(default_factory=list)
    adjust_skus: list[str] = field(default_factory=list)
    shelf_skus: list[str] = field(default_factory=list)

    @property
    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.key}"}


@dataclass
class Ledger:
    """What the day did, as the clients saw it confirmed: the ground truth the platform must agree with."""

    #: (vendor, sku) -> last confirmed absolute count (with its sequence) for report products
    reported: dict = field(default_factory=dict)
    #: (vendor, sku) -> initial count plus every confirmed delta for adjust products
    adjusted: dict = field(default_factory=dict)
    #: (vendor, sku) -> initial count of shelf products
    shelf_initial: dict = field(default_factory=dict)
    #: order_id -> {"token", "lines": [(vendor, sku, qty)], "vendor_orders": [vendor_order_id]}
    orders: dict = field(default_factory=dict)
    checkouts_short: int = 0
    checkouts_given_up: int = 0
    searches: int = 0
    product_views: int = 0
    transitions: int = 0
    pos_batches: int = 0
    pos_lines: int = 0
    pos_failed_batches: int = 0
    retries: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def summary(self) -> dict:
        return {
            "pos batches": self.pos_batches,
            "pos lines": self.pos_lines,
            "pos batches not confirmed": self.pos_failed_batches,
            "searches": self.searches,
            "product views": self.product_views,
            "orders placed": len(self.orders),
            "checkouts refused (short)": self.checkouts_short,
            "checkouts given up": self.checkouts_given_up,
            "vendor transitions": self.transitions,
            "client retries": self.retries,
        }


class TownDay:
    def __init__(
        self,
        gateway: str,
        amqp_uri: str,
        operator_key: str,
        seed: int = 7,
        shops: int = 4,
        products_per_kind: int = 5,
        shoppers: int = 6,
        retry_for: float = 120.0,
    ):
        self.gateway = gateway.rstrip("/")
        self.amqp_uri = amqp_uri
        self.operator = {"Authorization": f"Bearer {operator_key}"}
        self.seed = seed
        self.run_id = uuid.UUID(int=random.Random(seed).getrandbits(128)).hex[:6]
        self.shop_count = shops
        self.products_per_kind = products_per_kind
        self.shopper_count = shoppers
        self.retry_for = retry_for
        self.shops: list[Shop] = []
        self.ledger = Ledger()
        self._stop = threading.Event()
        self._sequence = defaultdict(int)  # per vendor: the till's booking number
        self._errors: list[str] = []

    # --- HTTP with a frontend's patience -----------------------------------------------------------------

    def _request(self, session: requests.Session, method: str, path: str, **kwargs) -> requests.Response:
        """Retry on connection errors and 429/5xx until ``retry_for`` seconds have passed; return the answer."""
        deadline = time.monotonic() + self.retry_for
        delay = 0.1
        while True:
            try:
                response = session.request(method, self.gateway + path, timeout=30, **kwargs)
                if response.status_code not in RETRYABLE_STATUS:
                    return response
                reason = f"{response.status_code} {response.text[:200]}"
            except requests.RequestException as exc:
                reason = f"{type(exc).__name__}"
            if time.monotonic() + delay > deadline:
                raise RuntimeError(f"{method} {path}: no answer after {self.retry_for:.0f}s ({reason})")
            with self.ledger.lock:
                self.ledger.retries += 1
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    # --- morning: the shops open -------------------------------------------------------------------------

    def open_shops(self) -> None:
        """Register the day's shops (operator), issue their keys, list their products, count their shelves."""
        session = requests.Session()
        rng = random.Random(self.seed)
        for n in range(self.shop_count):
            vendor_id = f"town-{self.run_id}-{n:02d}"
            lat = TOWN_CENTRE[0] + rng.uniform(-0.004, 0.004)
            lon = TOWN_CENTRE[1] + rng.uniform(-0.006, 0.006)
            vendor = {
                "vendor_id": vendor_id,
                "name": f"Laden {n} am Markt",
                "street": f"Marktstraße {n + 1}",
                "postcode": "36148",
                "city": "Lindenau",
                "lat": round(lat, 5),
                "lon": round(lon, 5),
                "contact_email": f"laden{n}@example.de",
                "fulfilment": ["pickup"],
                "opening_hours": {d: [["00:00", "24:00"]] for d in ("mo", "tu", "we", "th", "fr", "sa", "su")},
            }
            answer = self._request(session, "POST", "/v1/operator/vendors", json=vendor, headers=self.operator)
            if answer.status_code not in (200, 201, 409):
                raise RuntimeError(f"registering {vendor_id}: {answer.status_code} {answer.text}")
            key = self._request(
                session, "POST", f"/v1/operator/vendors/{vendor_id}/keys", json={}, headers=self.operator
            )
            if key.status_code != 201:
                raise RuntimeError(f"key for {vendor_id}: {key.status_code} {key.text}")
            shop = Shop(vendor_id, key.json()["api_key"])
            for kind, skus in (("R", shop.report_skus), ("A", shop.adjust_skus), ("S", shop.shelf_skus)):
                for i in range(self.products_per_kind):
                    sku = f"{kind}{i:03d}"
                    word = WORDS[(n * 7 + i * 3 + ord(kind)) % len(WORDS)]
                    product = {
                        "gtin": gtin13(rng.randrange(10**11)),
                        "title": f"{word} {kind}{i} aus Laden {n}",
                        "category": "Stadt > Tag",
                        "price": "4.50",
                    }
                    put = self._request(
                        session, "PUT", f"/v1/vendors/{vendor_id}/products/{sku}", json=product, headers=shop.auth
                    )
                    if put.status_code != 200:
                        raise RuntimeError(f"product {vendor_id}/{sku}: {put.status_code} {put.text}")
                    skus.append(sku)
            lines = []
            for sku, count in [
                *((s, REPORT_STOCK) for s in shop.report_skus),
                *((s, ADJUST_STOCK) for s in shop.adjust_skus),
                *((s, SHELF_STOCK) for s in shop.shelf_skus),
            ]:
                lines.append({"sku": sku, "quantity": count, "sequence": self._next_sequence(vendor_id)})
            pushed = self._request(
                session,
                "POST",
                f"/v1/vendors/{vendor_id}/stock",
                json={"mode": "report", "lines": lines},
                headers=shop.auth,
            )
            if pushed.status_code != 200:
                raise RuntimeError(f"stock for {vendor_id}: {pushed.status_code} {pushed.text}")
            for line in lines:
                ref = (vendor_id, line["sku"])
                if line["sku"] in shop.report_skus:
                    self.ledger.reported[ref] = (line["sequence"], line["quantity"])
                elif line["sku"] in shop.adjust_skus:
                    self.ledger.adjusted[ref] = line["quantity"]
                else:
                    self.ledger.shelf_initial[ref] = line["quantity"]
            self.shops.append(shop)

    def _next_sequence(self, vendor_id: str) -> int:
        self._sequence[vendor_id] += 1
        return self._sequence[vendor_id]

    # --- the day -----------------------------------------------------------------------------------------

    def run(self, seconds: float) -> Ledger:
        """Replay 08:00-20:00 in ``seconds``; return the ledger once every actor has finished its last step."""
        started = time.monotonic()

        def hour() -> float:
            elapsed = (time.monotonic() - started) / seconds
            return DAY_START_HOUR + (DAY_END_HOUR - DAY_START_HOUR) * min(elapsed, 1.0)

        actors = [threading.Thread(target=self._till, args=(shop, hour), daemon=True) for shop in self.shops]
        actors += [
            threading.Thread(target=self._shopper, args=(n, hour), daemon=True) for n in range(self.shopper_count)
        ]
        actors += [threading.Thread(target=self._vendor, args=(shop, hour), daemon=True) for shop in self.shops]
        for actor in actors:
            actor.start()
        self._stop.wait(seconds)
        self._stop.set()
        for actor in actors:
            actor.join(timeout=self.retry_for + 60)
        if self._errors:
            raise RuntimeError("the day's actors failed: " + "; ".join(self._errors[:5]))
        return self.ledger

    def stop(self) -> None:
        self._stop.set()

    def _actor(fn):  # noqa: N805 - a decorator for the actor methods below
        def wrapper(self, *args):
            try:
                fn(self, *args)
            except Exception as exc:  # noqa: BLE001 - reported by run()
                log.exception("actor failed")
                self._errors.append(f"{fn.__name__}: {type(exc).__name__}: {exc}")
                self._stop.set()

        return wrapper

    @_actor
    def _till(self, shop: Shop, hour) -> None:
        """A shop's till: every few (simulated) minutes a report of some counts and a batch of sales/deliveries."""
        from marktplatz_pos.publisher import PushError, StockPublisher

        rng = random.Random(f"{self.seed}-till-{shop.vendor_id}")
        with StockPublisher(self.amqp_uri, shop.vendor_id, batch_size=50, retry_for=self.retry_for) as publisher:
            while not self._stop.is_set():
                report = []
                for sku in rng.sample(shop.report_skus, k=max(1, len(shop.report_skus) // 2)):
                    report.append(
                        {"sku": sku, "quantity": rng.randint(0, 40), "sequence": self._next_sequence(shop.vendor_id)}
                    )
                adjust = []
                for sku in rng.sample(shop.adjust_skus, k=max(1, len(shop.adjust_skus) // 2)):
                    current = self.ledger.adjusted[(shop.vendor_id, sku)]
                    delta = rng.choice([-3, -2, -1, -1, 1, 5, 12]) if current > 3 else rng.choice([5, 12])
                    reason = "sale" if delta < 0 else "delivery"
                    adjust.append(
                        {"sku": sku, "delta": delta, "sequence": self._next_sequence(shop.vendor_id), "reason": reason}
                    )
                for mode, lines in (("report", report), ("adjust", adjust)):
                    try:
                        publisher.push(mode, lines)
                    except PushError:
                        # not confirmed: the lines may or may not have arrived, so the ground truth is lost
                        with self.ledger.lock:
                            self.ledger.pos_failed_batches += 1
                        raise
                    with self.ledger.lock:
                        self.ledger.pos_batches += 1
                        self.ledger.pos_lines += len(lines)
                        for line in lines:
                            ref = (shop.vendor_id, line["sku"])
                            if mode == "report":
                                self.ledger.reported[ref] = (line["sequence"], line["quantity"])
                            else:
                                self.ledger.adjusted[ref] += line["delta"]
                self._stop.wait(rng.uniform(0.2, 0.6) / pos_intensity(hour()))

    @_actor
    def _shopper(self, n: int, hour) -> None:
        rng = random.Random(f"{self.seed}-shopper-{n}")
        session = requests.Session()
        while not self._stop.is_set():
            params = {"q": rng.choice(WORDS), "lat": TOWN_CENTRE[0], "lon": TOWN_CENTRE[1], "max_km": 5}
            found = self._request(session, "GET", "/v1/search", params=params)
            if found.status_code != 200:
                raise RuntimeError(f"search: {found.status_code} {found.text[:300]}")
            with self.ledger.lock:
                self.ledger.searches += 1
            ours = [h for h in found.json()["hits"] if h["vendor_id"].startswith(f"town-{self.run_id}-")]
            if ours and rng.random() < 0.5:
                hit = rng.choice(ours)
                viewed = self._request(session, "GET", f"/v1/products/{hit['vendor_id']}/{hit['sku']}")
                if viewed.status_code not in (200, 404):
                    raise RuntimeError(f"product: {viewed.status_code} {viewed.text[:300]}")
                with self.ledger.lock:
                    self.ledger.product_views += 1
            if rng.random() < 0.35:
                self._checkout(session, rng, n)
            self._stop.wait(rng.uniform(0.1, 0.4) / shopper_intensity(hour()))

    def _checkout(self, session: requests.Session, rng: random.Random, n: int) -> None:
        shop = rng.choice(self.shops)
        skus = rng.sample(shop.shelf_skus, k=rng.randint(1, 2))
        lines = [{"vendor_id": shop.vendor_id, "sku": sku, "quantity": rng.randint(1, 3)} for sku in skus]
        body = {
            "shopper": {"name": f"Kundin {n}", "email": f"kundin{n}@example.de"},
            "lines": lines,
            "fulfilment": {shop.vendor_id: {"method": "pickup"}},
        }
        key = uuid.UUID(int=rng.getrandbits(128)).hex
        try:
            placed = self._request(session, "POST", "/v1/checkout", json=body, headers={"Idempotency-Key": key})
        except RuntimeError:
            with self.ledger.lock:
                self.ledger.checkouts_given_up += 1
            raise
        if placed.status_code == 409:
            with self.ledger.lock:
                self.ledger.checkouts_short += 1
            return
        if placed.status_code != 201:
            raise RuntimeError(f"checkout: {placed.status_code} {placed.text[:300]}")
        order = placed.json()
        with self.ledger.lock:
            self.ledger.orders[order["order_id"]] = {
                "token": order["order_token"],
                "lines": [(x["vendor_id"], x["sku"], x["quantity"]) for x in lines],
                "vendor_orders": [vo["vendor_order_id"] for vo in order["vendor_orders"]],
            }

    @_actor
    def _vendor(self, shop: Shop, hour) -> None:
        """A shop's staff: look at new and open orders, accept, pack, hand over; now and then cancel one."""
        rng = random.Random(f"{self.seed}-vendor-{shop.vendor_id}")
        session = requests.Session()
        next_action = {"placed": "accept", "accepted": "ready", "ready": "collect"}
        while not self._stop.is_set():
            for state, action in next_action.items():
                listed = self._request(
                    session,
                    "GET",
                    f"/v1/vendors/{shop.vendor_id}/orders",
                    params={"state": state, "limit": 50},
                    headers=shop.auth,
                )
                if listed.status_code != 200:
                    raise RuntimeError(f"vendor orders: {listed.status_code} {listed.text[:300]}")
                for vendor_order in listed.json()["orders"]:
                    if rng.random() < 0.5:
                        continue  # not now: staff are busy
                    chosen = "cancel" if rng.random() < 0.08 else action
                    moved = self._request(
                        session,
                        "POST",
                        f"/v1/vendors/{shop.vendor_id}/orders/{vendor_order['vendor_order_id']}/transitions",
                        json={"action": chosen, "reason": "nicht mehr da"}
                        if chosen == "cancel"
                        else {"action": chosen},
                        headers=shop.auth,
                    )
                    if moved.status_code not in (200, 409):  # 409: a retried transition already happened
                        raise RuntimeError(f"transition: {moved.status_code} {moved.text[:300]}")
                    with self.ledger.lock:
                        self.ledger.transitions += 1
            self._stop.wait(rng.uniform(0.3, 0.8))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.town_day", description=__doc__.split("\n\n")[0])
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")
    parser.add_argument("--amqp", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--operator-key", default="dev-operator-key")
    parser.add_argument("--seconds", type=float, default=60.0, help="wall time of the 12-hour day")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--shops", type=int, default=4)
    parser.add_argument("--shoppers", type=int, default=6)
    args = parser.parse_args(argv or [])
    day = TownDay(args.gateway, args.amqp, args.operator_key, seed=args.seed, shops=args.shops, shoppers=args.shoppers)
    day.open_shops()
    ledger = day.run(args.seconds)
    print(f"a day in {args.seconds:.0f} s (compression {12 * 3600 / args.seconds:,.0f}x), seed {args.seed}\n")
    print("| what | count |\n|---|---:|")
    for name, value in ledger.summary().items():
        print(f"| {name} | {value} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
