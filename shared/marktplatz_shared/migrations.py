"""Alembic wiring a service reuses: its ``alembic/env.py`` calls :func:`run_env`, code calls :func:`upgrade`.

Example ``services/catalog/alembic/env.py``::

    from catalog.adapters.tables import metadata
    from marktplatz_shared.migrations import run_env
    run_env(metadata)

The service's first migration creates the kernel's tables (outbox, processed_events) with
:func:`create_kernel_tables`.
"""

from __future__ import annotations

import os

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData

from .db import kernel_metadata, make_engine


def alembic_config(url: str, script_location: str) -> Config:
    config = Config()
    config.set_main_option("script_location", script_location)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, script_location: str, revision: str = "head") -> None:
    """Bring the database at ``url`` to ``revision`` (creating a SQLite file and its folder if needed)."""
    make_engine(url).dispose()  # creates var/ for SQLite
    command.upgrade(alembic_config(url, script_location), revision)


def run_env(target_metadata: MetaData) -> None:
    """The body of a service's alembic/env.py: online migrations against ``sqlalchemy.url`` or DATABASE_URL."""
    url = context.config.get_main_option("sqlalchemy.url") or os.environ["DATABASE_URL"]
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=[kernel_metadata, target_metadata],
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def create_kernel_tables() -> None:
    """Call from a service's first migration: the outbox and processed-events tables."""
    from alembic import op

    kernel_metadata.create_all(op.get_bind())
