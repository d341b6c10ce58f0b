"""The nameko entrypoints of the search service: thin, they parse, call a use case, return."""

import logging
import os
from datetime import UTC, datetime

from nameko.rpc import RpcProxy

from marktplatz_shared.config import SettingsProvider
from marktplatz_shared.consumer import reliable_handler
from marktplatz_shared.db import Database, database_url
from marktplatz_shared.errors import InvalidInput
from marktplatz_shared.logs import CorrelationId
from marktplatz_shared.metrics import Metrics
from marktplatz_shared.rpc import rpc
from marktplatz_shared.timer import every

from .adapters import tables
from .domain.vendors import Vendor
from .engine import SearchEngine
from .settings import SearchSettings

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")
REBUILD_CHECK_INTERVAL = "SEARCH_REBUILD_CHECK_SECONDS"
DEFAULT_REBUILD_CHECK_SECONDS = 30.0
INDEX_COMMIT_TIMEOUT = 30.0

log = logging.getLogger(__name__)


class SearchService:
    name = "search"

    settings = SettingsProvider(SearchSettings)
    db = Database(migrations=MIGRATIONS)
    index = SearchEngine()
    catalog = RpcProxy("catalog")
    metrics = Metrics()
    correlation_id = CorrelationId()

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok"}

    # --- shoppers ---------------------------------------------------------------------------------------

    @rpc
    def search(self, query):
        return self.index.search(query)

    @rpc
    def suggest(self, prefix, limit=10):
        from .querying import suggest

        return suggest(prefix, limit, self.index.backend)

    # --- operators --------------------------------------------------------------------------------------

    @rpc
    def stats(self):
        return self.index.stats()

    @rpc
    def query_report(self, since, until, limit=20):
        try:
            start, end = datetime.fromisoformat(since), datetime.fromisoformat(until)
        except (TypeError, ValueError):
            raise InvalidInput("since and until must be ISO 8601 times", {"since": ["invalid"]}) from None
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise InvalidInput("limit must be 1..1000", {"limit": ["invalid"]})
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
        end = end if end.tzinfo else end.replace(tzinfo=UTC)
        self.index.flush_query_log()
        return tables.query_report(self.index.engine, start, end, limit)

    @rpc
    def rebuild(self):
        """Rebuild the index from catalog's product stream and switch it in; search answers throughout."""
        return self.index.rebuild(self.catalog)

    @every(REBUILD_CHECK_INTERVAL, DEFAULT_REBUILD_CHECK_SECONDS, eager=True)
    def rebuild_when_needed(self):
        """After an upgrade that changed the index's fields the index starts empty: fill it from the catalog."""
        try:
            self.index.rebuild_if_needed(self.catalog)
        except Exception:  # noqa: BLE001 - the catalog may not be up yet: tried again on the next tick
            log.warning("the search index could not be rebuilt yet; trying again", exc_info=True)

    # --- catalog events ---------------------------------------------------------------------------------

    def _index(self, event, change):
        """Apply a change, wait for its commit, then claim the event (see search.indexing for why this order)."""
        if self.index.already_processed(self.db.consumer, event.event_id):
            return
        change(self.index.pipeline).wait(INDEX_COMMIT_TIMEOUT)
        with self.db.once(event):
            pass

    @reliable_handler("catalog", "product_upserted")
    def on_product_upserted(self, event):
        self._index(event, lambda p: p.product_upserted(event.data, event.occurred_at))

    @reliable_handler("catalog", "product_withdrawn")
    def on_product_withdrawn(self, event):
        self._index(event, lambda p: p.product_withdrawn(event.data["vendor_id"], event.data["sku"], event.occurred_at))

    @reliable_handler("catalog", "stock_changed")
    def on_stock_changed(self, event):
        self._index(event, lambda p: p.stock_changed(event.data["lines"], event.occurred_at))

    @reliable_handler("catalog", "vendor_registered")
    def on_vendor_registered(self, event):
        self._vendor(event)

    @reliable_handler("catalog", "vendor_updated")
    def on_vendor_updated(self, event):
        self._vendor(event)

    def _vendor(self, event):
        vendor = Vendor.from_data(event.data)
        with self.db.once(event) as tx:
            tables.save_vendor(tx.session, vendor, event.occurred_at)
        self.index.put_vendor(vendor)


def migrate(url: str | None = None) -> None:
    """Apply the migrations (Kubernetes runs this as a Job; locally the service does it at start)."""
    from marktplatz_shared.migrations import upgrade

    upgrade(url or database_url(dict(os.environ), "search"), MIGRATIONS)
