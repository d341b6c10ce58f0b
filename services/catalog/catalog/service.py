"""The nameko entrypoints of the catalog service: thin, they parse, call a handler, return."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from marktplatz_shared.config import SettingsProvider
from marktplatz_shared.consumer import PermanentFailure, PublisherUser, reliable_handler
from marktplatz_shared.db import Database, database_url
from marktplatz_shared.errors import InvalidInput
from marktplatz_shared.logs import CorrelationId
from marktplatz_shared.metrics import Metrics
from marktplatz_shared.outbox import OutboxRelay
from marktplatz_shared.rpc import rpc
from marktplatz_shared.timer import every

from . import handlers
from .bootstrap import MIGRATIONS
from .domain.pos_access import check_pos_sender
from .settings import (
    DEFAULT_RESERVATION_SWEEP_SECONDS,
    POS_MAX_BATCH_LINES,
    POS_TRUSTED_USERS,
    POS_USER_PREFIX,
    RESERVATION_SWEEP_SECONDS,
    CatalogSettings,
)


class CatalogService:
    name = "catalog"

    settings = SettingsProvider(CatalogSettings)
    db = Database(migrations=MIGRATIONS)
    relay = OutboxRelay()
    metrics = Metrics()
    correlation_id = CorrelationId()
    publisher_user = PublisherUser()

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok"}

    # --- vendors ---------------------------------------------------------------------------------------

    @rpc
    def register_vendor(self, vendor):
        return handlers.register_vendor(self.db, vendor)

    @rpc
    def update_vendor(self, vendor_id, changes):
        return handlers.update_vendor(self.db, vendor_id, changes)

    @rpc
    def get_vendor(self, vendor_id):
        return handlers.get_vendor(self.db, vendor_id)

    @rpc
    def list_vendors(self, cursor=None, limit=100):
        return handlers.list_vendors(self.db, cursor, limit)

    # --- products --------------------------------------------------------------------------------------

    @rpc
    def upsert_product(self, product):
        return handlers.upsert_product(self.db, product)

    @rpc
    def withdraw_product(self, vendor_id, sku):
        return handlers.withdraw_product(self.db, vendor_id, sku)

    @rpc
    def get_product(self, vendor_id, sku):
        return handlers.get_product(self.db, vendor_id, sku)

    @rpc
    def get_offers(self, refs):
        return handlers.get_offers(self.db, refs)

    @rpc
    def list_products(self, vendor_id, cursor=None, limit=100):
        return handlers.list_products(self.db, vendor_id, cursor, limit)

    @rpc
    def stream_published_products(self, cursor=None, limit=500):
        return handlers.stream_published_products(self.db, cursor, limit)

    # --- stock -----------------------------------------------------------------------------------------

    @rpc
    def apply_stock_batch(self, vendor_id, mode, lines):
        return handlers.apply_stock_batch(
            self.db, vendor_id, mode, lines, max_lines=self.settings[POS_MAX_BATCH_LINES], source="rpc"
        )

    @rpc
    def stock_freshness(self):
        return handlers.stock_freshness(self.db)

    @rpc
    def rejected_stock_lines(self, vendor_id, limit=100):
        return handlers.rejected_stock_lines(self.db, vendor_id, limit)

    @reliable_handler("pos", "stock_reported")
    def on_stock_reported(self, event):
        self._apply_pos_event(event, "report")

    @reliable_handler("pos", "stock_adjusted")
    def on_stock_adjusted(self, event):
        self._apply_pos_event(event, "adjust")

    def _apply_pos_event(self, event, mode):
        try:
            check_pos_sender(
                self.publisher_user,
                event.data["vendor_id"],
                self.settings[POS_TRUSTED_USERS],
                self.settings[POS_USER_PREFIX],
            )
            handlers.apply_pos_event(self.db, event, mode)
        except InvalidInput as exc:  # another vendor's shop, an unknown vendor: retrying cannot help
            raise PermanentFailure(str(exc)) from exc

    # --- reservations ----------------------------------------------------------------------------------

    @rpc
    def reserve(self, order_ref, lines, expires_at):
        return handlers.reserve(self.db, order_ref, lines, expires_at)

    @rpc
    def commit_reservation(self, order_ref):
        return handlers.commit_reservation(self.db, order_ref)

    @rpc
    def release_reservation(self, order_ref):
        return handlers.release_reservation(self.db, order_ref)

    @every(RESERVATION_SWEEP_SECONDS, DEFAULT_RESERVATION_SWEEP_SECONDS)
    def release_expired_reservations(self):
        handlers.release_expired(self.db, datetime.now(UTC))


def migrate(url: str | None = None) -> None:
    """Apply the migrations (Kubernetes runs this as a Job; locally the service does it at start)."""
    from marktplatz_shared.migrations import upgrade

    upgrade(url or database_url(dict(os.environ), "catalog"), MIGRATIONS)
