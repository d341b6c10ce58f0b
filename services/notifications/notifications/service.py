"""The nameko entrypoints of the notifications service: thin, they parse, call a handler, return.

E-mails and webhooks are separate handlers (separate queues) of each order event, so a vendor's failing
webhook endpoint is retried and dead-lettered on its own and never holds up a shopper's e-mail.
"""

import logging
import os

from nameko.rpc import RpcProxy

from marktplatz_shared.config import SettingsProvider
from marktplatz_shared.consumer import reliable_handler
from marktplatz_shared.db import Database, database_url
from marktplatz_shared.logs import CorrelationId
from marktplatz_shared.metrics import Metrics
from marktplatz_shared.rpc import rpc
from marktplatz_shared.timer import every

from . import handlers
from . import settings as keys
from .bootstrap import OutboundChannels, VendorBackfill
from .settings import NotificationsSettings

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")
log = logging.getLogger(__name__)


class NotificationsService:
    name = "notifications"

    settings = SettingsProvider(NotificationsSettings)
    db = Database(migrations=MIGRATIONS)
    outbound = OutboundChannels()
    catalog = RpcProxy("catalog")
    vendor_backfill = VendorBackfill()
    metrics = Metrics()
    correlation_id = CorrelationId()

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok"}

    @rpc
    def sent_for_order(self, order_id):
        return handlers.sent_for_order(self.db, str(order_id))

    @rpc
    def rotate_webhook_secret(self, vendor_id):
        return handlers.rotate_webhook_secret(self.db, str(vendor_id))

    # --- vendors, from catalog ---------------------------------------------------------------------------

    @every(keys.VENDOR_BACKFILL_INTERVAL, keys.DEFAULT_VENDOR_BACKFILL_SECONDS, eager=True)
    def backfill_vendors(self):
        """At start, copy catalog's shops (those registered before this service ran); retried until catalog answers."""
        if self.vendor_backfill.done:
            return
        try:
            changed = handlers.backfill_vendors(self.db, self.catalog)
        except Exception:  # noqa: BLE001 - catalog may not be up yet: tried again on the next tick
            log.warning("could not copy the shops from catalog yet; trying again", exc_info=True)
            return
        self.vendor_backfill.done = True
        log.info("copied the shops from catalog: %d new or newer here", changed)

    @reliable_handler("catalog", "vendor_registered")
    def on_vendor_registered(self, event):
        handlers.record_vendor(self.db, event)

    @reliable_handler("catalog", "vendor_updated")
    def on_vendor_updated(self, event):
        handlers.record_vendor(self.db, event)

    # --- e-mails -----------------------------------------------------------------------------------------

    @reliable_handler("orders", "order_placed")
    def email_order_placed(self, event):
        handlers.send_emails(self.db, event, self.outbound)

    @reliable_handler("orders", "vendor_order_ready")
    def email_vendor_order_ready(self, event):
        handlers.send_emails(self.db, event, self.outbound)

    @reliable_handler("orders", "vendor_order_cancelled")
    def email_vendor_order_cancelled(self, event):
        handlers.send_emails(self.db, event, self.outbound)

    @reliable_handler("orders", "order_expired")
    def email_order_expired(self, event):
        handlers.send_emails(self.db, event, self.outbound)

    # --- webhooks: every order event goes to the vendors it concerns -------------------------------------

    @reliable_handler("orders", "order_placed")
    def webhook_order_placed(self, event):
        handlers.send_webhooks(self.db, event, self.outbound)

    @reliable_handler("orders", "vendor_order_accepted")
    def webhook_vendor_order_accepted(self, event):
        handlers.send_webhooks(self.db, event, self.outbound)

    @reliable_handler("orders", "vendor_order_ready")
    def webhook_vendor_order_ready(self, event):
        handlers.send_webhooks(self.db, event, self.outbound)

    @reliable_handler("orders", "vendor_order_collected")
    def webhook_vendor_order_collected(self, event):
        handlers.send_webhooks(self.db, event, self.outbound)

    @reliable_handler("orders", "vendor_order_cancelled")
    def webhook_vendor_order_cancelled(self, event):
        handlers.send_webhooks(self.db, event, self.outbound)

    @reliable_handler("orders", "order_expired")
    def webhook_order_expired(self, event):
        handlers.send_webhooks(self.db, event, self.outbound)


def migrate(url: str | None = None) -> None:
    """Apply the migrations (Kubernetes runs this as a Job; locally the service does it at start)."""
    from marktplatz_shared.migrations import upgrade

    upgrade(url or database_url(dict(os.environ), "notifications"), MIGRATIONS)
