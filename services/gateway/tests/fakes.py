"""Faithful fakes of the other bounded contexts, as real nameko services on the real broker.

They implement the RPC contracts of docs/rpc-contracts.md (arguments, results, the kernel's errors) over one
in-memory state, so the gateway's tests need neither the real services nor their databases. The end-to-end
journeys in tests/e2e run against the real ones.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from decimal import Decimal

from nameko.extensions import DependencyProvider
from nameko.rpc import rpc

from marktplatz_shared.errors import Conflict, InvalidInput, NotFound

STATE: dict = {}
SEEN_CORRELATION_IDS: list[str] = []
_lock = threading.Lock()


def reset_state() -> None:
    STATE.clear()
    STATE.update(vendors={}, products={}, orders={}, queries=[], secrets={})
    SEEN_CORRELATION_IDS.clear()


reset_state()


class RecordCorrelation(DependencyProvider):
    def worker_setup(self, worker_ctx):
        SEEN_CORRELATION_IDS.append(worker_ctx.context_data.get("correlation_id"))


def _product_view(product: dict) -> dict:
    stock = product["stock"]
    return dict(
        {k: v for k, v in product.items() if k != "stock"},
        available=max(0, stock["on_hand"] - stock["reserved"]),
        on_hand=stock["on_hand"],
        reserved=stock["reserved"],
    )


def _get(vendor_id: str, sku: str) -> dict:
    product = STATE["products"].get((vendor_id, sku))
    if product is None:
        raise NotFound(f"no product {sku} at {vendor_id}")
    return product


class FakeCatalog:
    name = "catalog"
    seen = RecordCorrelation()

    @rpc
    def health(self):
        return {"service": "catalog", "status": "ok"}

    @rpc
    def register_vendor(self, vendor):
        if vendor["vendor_id"] in STATE["vendors"]:
            raise Conflict(f"vendor {vendor['vendor_id']} exists")
        stored = {
            "kind": "",
            "timezone": "Europe/Berlin",
            "opening_hours": {},
            "contact_email": None,
            "webhook_url": None,
            **vendor,
        }
        STATE["vendors"][vendor["vendor_id"]] = stored
        return stored

    @rpc
    def update_vendor(self, vendor_id, changes):
        vendor = self.get_vendor(vendor_id)
        vendor.update(changes)
        return vendor

    @rpc
    def get_vendor(self, vendor_id):
        if vendor_id not in STATE["vendors"]:
            raise NotFound(f"no vendor {vendor_id}")
        return STATE["vendors"][vendor_id]

    @rpc
    def list_vendors(self, cursor=None, limit=100):
        ids = sorted(v for v in STATE["vendors"] if cursor is None or v > cursor)
        page = ids[:limit]
        return {"vendors": [STATE["vendors"][v] for v in page], "next_cursor": page[-1] if len(ids) > limit else None}

    @rpc
    def upsert_product(self, product):
        self.get_vendor(product["vendor_id"])
        if product.get("price") == "0":
            raise InvalidInput("price must be positive", {"price": ["must be positive"]})
        key = (product["vendor_id"], product["sku"])
        with _lock:
            old = STATE["products"].get(key)
            stock = old["stock"] if old else {"on_hand": 0, "reserved": 0, "sequence": -1}
            STATE["products"][key] = {
                "description": "",
                "brand": "",
                "currency": "EUR",
                "attributes": {},
                "published": True,
                **product,
                "stock": stock,
            }
        return _product_view(STATE["products"][key])

    @rpc
    def withdraw_product(self, vendor_id, sku):
        product = _get(vendor_id, sku)
        product["published"] = False
        return _product_view(product)

    @rpc
    def get_product(self, vendor_id, sku):
        return _product_view(_get(vendor_id, sku))

    @rpc
    def get_offers(self, refs):
        return [
            _product_view(STATE["products"][(r["vendor_id"], r["sku"])])
            for r in refs
            if (r["vendor_id"], r["sku"]) in STATE["products"]
        ]

    @rpc
    def list_products(self, vendor_id, cursor=None, limit=100):
        self.get_vendor(vendor_id)
        skus = sorted(s for (v, s) in STATE["products"] if v == vendor_id and (cursor is None or s > cursor))
        page = skus[:limit]
        return {
            "products": [_product_view(STATE["products"][(vendor_id, s)]) for s in page],
            "next_cursor": page[-1] if len(skus) > limit else None,
        }

    @rpc
    def apply_stock_batch(self, vendor_id, mode, lines):
        self.get_vendor(vendor_id)
        applied, stale, unknown, changed = 0, 0, [], 0
        with _lock:
            for line in lines:
                product = STATE["products"].get((vendor_id, line["sku"]))
                if product is None:
                    unknown.append(line["sku"])
                    continue
                stock = product["stock"]
                if line["sequence"] <= stock["sequence"]:
                    stale += 1
                    continue
                before = stock["on_hand"]
                stock["on_hand"] = line["quantity"] if mode == "report" else max(0, before + line["delta"])
                stock["sequence"] = line["sequence"]
                applied += 1
                changed += stock["on_hand"] != before
            if applied:
                STATE.setdefault("stock_updates", {})[vendor_id] = "2026-11-23T09:00:00+00:00"
        return {"applied": applied, "stale": stale, "unknown_skus": unknown, "changed": changed}

    @rpc
    def stock_freshness(self):
        updates = STATE.get("stock_updates", {})
        return {
            "vendors": [
                {"vendor_id": v, "name": STATE["vendors"][v]["name"], "last_pos_update": updates.get(v)}
                for v in sorted(STATE["vendors"])
            ]
        }


class FakeSearch:
    name = "search"
    seen = RecordCorrelation()

    @rpc
    def health(self):
        return {"service": "search", "status": "ok"}

    @rpc
    def search(self, query):
        STATE["queries"].append(query)
        q = (query.get("q") or "").lower()
        hits = []
        for (vendor_id, sku), p in sorted(STATE["products"].items()):
            view = _product_view(p)
            if not view["published"] or (q and q not in view["title"].lower() and q != view["gtin"]):
                continue
            if query.get("vendor_id") and vendor_id != query["vendor_id"]:
                continue
            if query.get("in_stock") and view["available"] <= 0:
                continue
            hits.append(
                {
                    "id": f"{vendor_id}/{sku}",
                    "vendor_id": vendor_id,
                    "vendor_name": STATE["vendors"][vendor_id]["name"],
                    "sku": sku,
                    "gtin": view["gtin"],
                    "title": view["title"],
                    "brand": view["brand"],
                    "category": view["category"],
                    "price": view["price"],
                    "available": view["available"],
                    "distance_km": None,
                }
            )
        if query.get("sort") == "price_asc":
            hits.sort(key=lambda h: Decimal(h["price"]))
        start = (query.get("page", 1) - 1) * query.get("per_page", 20)
        facets = {"category": {}}
        for h in hits:
            facets["category"][h["category"]] = facets["category"].get(h["category"], 0) + 1
        return {"total": len(hits), "hits": hits[start : start + query.get("per_page", 20)], "facets": facets}

    @rpc
    def suggest(self, prefix, limit=10):
        titles = sorted(
            {p["title"] for p in STATE["products"].values() if p["title"].lower().startswith(prefix.lower())}
        )
        return {"suggestions": titles[:limit]}

    @rpc
    def stats(self):
        return {"documents": len(STATE["products"]), "lag_ms": 0}

    @rpc
    def query_report(self, since, until, limit=20):
        return {
            "top_queries": [{"q": "milch", "count": 3}],
            "top_zero_result_queries": [{"q": "xyz", "count": 1}],
            "count": len(STATE["queries"]),
            "latency_ms": {"p50": 1.0, "p99": 3.0},
        }


TRANSITIONS = {
    "accept": ({"placed"}, "accepted"),
    "ready": ({"accepted"}, "ready"),
    "collect": ({"ready"}, "collected"),
    "deliver": ({"ready"}, "delivered"),
    "cancel": ({"placed", "accepted", "ready"}, "cancelled"),
}


class FakeOrders:
    name = "orders"
    seen = RecordCorrelation()

    @rpc
    def health(self):
        return {"service": "orders", "status": "ok"}

    @rpc
    def checkout(self, request, idempotency_key):
        with _lock:
            for order in STATE["orders"].values():
                if order["idempotency_key"] == idempotency_key:
                    return order["public"]
            shortages = []
            for line in request["lines"]:
                product = STATE["products"].get((line["vendor_id"], line["sku"]))
                available = _product_view(product)["available"] if product else 0
                if available < line["quantity"]:
                    shortages.append(
                        {
                            "vendor_id": line["vendor_id"],
                            "sku": line["sku"],
                            "requested": line["quantity"],
                            "available": available,
                        }
                    )
            if shortages:
                raise Conflict("not enough stock", {"shortages": shortages})
            order_id, token = uuid.uuid4().hex, secrets.token_urlsafe(16)
            vendor_orders = []
            for vendor_id in sorted({line["vendor_id"] for line in request["lines"]}):
                lines = []
                for line in request["lines"]:
                    if line["vendor_id"] != vendor_id:
                        continue
                    product = STATE["products"][(vendor_id, line["sku"])]
                    product["stock"]["reserved"] += line["quantity"]
                    lines.append(
                        {
                            "sku": line["sku"],
                            "title": product["title"],
                            "quantity": line["quantity"],
                            "unit_price": product["price"],
                        }
                    )
                total = sum(Decimal(x["unit_price"]) * x["quantity"] for x in lines)
                vendor_orders.append(
                    {
                        "vendor_order_id": uuid.uuid4().hex[:12],
                        "vendor_id": vendor_id,
                        "vendor_name": STATE["vendors"][vendor_id]["name"],
                        "state": "placed",
                        "fulfilment": request["fulfilment"][vendor_id],
                        "pickup_code": "4711",
                        "lines": lines,
                        "total": f"{total:.2f}",
                        "order_id": order_id,
                    }
                )
            public = {
                "order_id": order_id,
                "order_token": token,
                "shopper": request["shopper"],
                "vendor_orders": vendor_orders,
                "total": f"{sum(Decimal(v['total']) for v in vendor_orders):.2f}",
            }
            STATE["orders"][order_id] = {"idempotency_key": idempotency_key, "public": public}
            return public

    def _order(self, order_id, order_token):
        order = STATE["orders"].get(order_id)
        if order is None or order["public"]["order_token"] != order_token:
            raise NotFound(f"no order {order_id}")
        return order["public"]

    @rpc
    def get_order(self, order_id, order_token):
        return self._order(order_id, order_token)

    @rpc
    def cancel_by_shopper(self, order_id, order_token, vendor_order_id=None):
        order = self._order(order_id, order_token)
        for vo in order["vendor_orders"]:
            if vendor_order_id in (None, vo["vendor_order_id"]):
                if vo["state"] in ("collected", "delivered"):
                    raise Conflict(f"vendor order is {vo['state']}", {"state": vo["state"]})
                vo["state"] = "cancelled"
        return order

    @rpc
    def list_vendor_orders(self, vendor_id, state=None, cursor=None, limit=50):
        found = [
            dict(vo, shopper=o["public"]["shopper"])
            for o in STATE["orders"].values()
            for vo in o["public"]["vendor_orders"]
            if vo["vendor_id"] == vendor_id and state in (None, vo["state"])
        ]
        return {"orders": found[:limit], "next_cursor": None}

    @rpc
    def transition(self, vendor_id, vendor_order_id, action, reason=None):
        for order in STATE["orders"].values():
            for vo in order["public"]["vendor_orders"]:
                if vo["vendor_id"] == vendor_id and vo["vendor_order_id"] == vendor_order_id:
                    sources, target = TRANSITIONS[action]
                    if vo["state"] not in sources:
                        raise Conflict(f"cannot {action} an order that is {vo['state']}", {"state": vo["state"]})
                    vo["state"] = target
                    return vo
        raise NotFound(f"no order {vendor_order_id} at {vendor_id}")


class FakeNotifications:
    name = "notifications"
    seen = RecordCorrelation()

    @rpc
    def health(self):
        return {"service": "notifications", "status": "ok"}

    @rpc
    def rotate_webhook_secret(self, vendor_id):
        STATE["secrets"][vendor_id] = secrets.token_urlsafe(32)
        return {"secret": STATE["secrets"][vendor_id]}

    @rpc
    def sent_for_order(self, order_id):
        return []


FAKES = (FakeCatalog, FakeSearch, FakeOrders, FakeNotifications)
