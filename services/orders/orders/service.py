"""The nameko entrypoints of the orders service: thin, each builds the use cases and calls one of them."""

import os

from nameko.rpc import RpcProxy

import marktplatz_shared.consumer  # noqa: F401 - hardens nameko's acks against a broker restart
from marktplatz_shared.config import SettingsProvider
from marktplatz_shared.db import Database, database_url
from marktplatz_shared.logs import CorrelationId
from marktplatz_shared.metrics import Metrics
from marktplatz_shared.outbox import OutboxRelay
from marktplatz_shared.rpc import rpc
from marktplatz_shared.timer import every

from .adapters.catalog import CatalogPort
from .handlers import Orders
from .settings import (
    CATALOG_RPC_TIMEOUT,
    DEFAULT_ERASURE_INTERVAL,
    DEFAULT_EXPIRY_INTERVAL,
    DEFAULT_SETTLEMENT_INTERVAL,
    ERASURE_INTERVAL,
    EXPIRY_INTERVAL,
    SETTLEMENT_INTERVAL,
    OrdersSettings,
)

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


class OrdersService:
    name = "orders"

    settings = SettingsProvider(OrdersSettings)
    db = Database(migrations=MIGRATIONS)
    relay = OutboxRelay()
    catalog = RpcProxy("catalog")
    metrics = Metrics()
    correlation_id = CorrelationId()

    @property
    def orders(self) -> Orders:
        return Orders(self.db, CatalogPort(self.catalog, self.settings[CATALOG_RPC_TIMEOUT]), self.settings)

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok"}

    @rpc
    def checkout(self, request, idempotency_key=None):
        return self.orders.checkout(request, idempotency_key)

    @rpc
    def get_order(self, order_id, order_token):
        return self.orders.get_order(order_id, order_token)

    @rpc
    def cancel_by_shopper(self, order_id, order_token, vendor_order_id=None):
        return self.orders.cancel_by_shopper(order_id, order_token, vendor_order_id)

    @rpc
    def list_vendor_orders(self, vendor_id, state=None, cursor=None, limit=50):
        return self.orders.list_vendor_orders(vendor_id, state, cursor, limit)

    @rpc
    def transition(self, vendor_id, vendor_order_id, action, reason=None):
        return self.orders.transition(vendor_id, vendor_order_id, action, reason)

    @every(EXPIRY_INTERVAL, DEFAULT_EXPIRY_INTERVAL)
    def expire_overdue_orders(self):
        self.orders.expire_overdue()

    @every(SETTLEMENT_INTERVAL, DEFAULT_SETTLEMENT_INTERVAL)
    def settle_stock_and_compensate(self):
        self.orders.settle_and_compensate()

    @every(ERASURE_INTERVAL, DEFAULT_ERASURE_INTERVAL)
    def erase_personal_data(self):
        self.orders.erase_personal_data()


def migrate(url: str | None = None) -> None:
    """Apply the migrations (Kubernetes runs this as a Job; locally the service does it at start)."""
    from marktplatz_shared.migrations import upgrade

    upgrade(url or database_url(dict(os.environ), "orders"), MIGRATIONS)
