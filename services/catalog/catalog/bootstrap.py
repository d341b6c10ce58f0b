"""Wiring for code that runs outside the nameko container (the importer, benchmarks, tests)."""

from __future__ import annotations

import os
import uuid

from sqlalchemy.engine import Engine

from marktplatz_shared.db import DatabaseAccess, database_url, make_engine

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")
SERVICE_NAME = "catalog"


def migrate(url: str) -> None:
    from marktplatz_shared.migrations import upgrade

    upgrade(url, MIGRATIONS)


def database(engine: Engine, correlation_id: str | None = None) -> DatabaseAccess:
    """The same database access a catalog worker gets, for handlers called from a CLI."""
    return DatabaseAccess(engine, SERVICE_NAME, correlation_id or str(uuid.uuid4()), consumer=SERVICE_NAME)


def url_from_environment() -> str:
    return os.environ.get("CATALOG_DATABASE_URL") or database_url(dict(os.environ), SERVICE_NAME)


def engine_for(url: str) -> Engine:
    return make_engine(url)
