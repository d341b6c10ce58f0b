"""The nameko entrypoint of the catalog service: thin, it parses, calls a handler, returns."""

import os

from nameko.rpc import rpc

from marktplatz_shared.config import SettingsProvider
from marktplatz_shared.db import Database, database_url
from marktplatz_shared.logs import CorrelationId
from marktplatz_shared.metrics import Metrics
from marktplatz_shared.outbox import OutboxRelay

from .settings import CatalogSettings

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


class CatalogService:
    name = "catalog"

    settings = SettingsProvider(CatalogSettings)
    db = Database(migrations=MIGRATIONS)
    relay = OutboxRelay()
    metrics = Metrics()
    correlation_id = CorrelationId()

    @rpc
    def health(self):
        return {"service": self.name, "status": "ok"}


def migrate(url: str | None = None) -> None:
    """Apply the migrations (Kubernetes runs this as a Job; locally the service does it at start)."""
    from marktplatz_shared.migrations import upgrade

    upgrade(url or database_url(dict(os.environ), "catalog"), MIGRATIONS)
