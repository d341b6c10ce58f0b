"""The API keys in the gateway's database: issue, rotate, revoke, and find the principal behind a key."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine

from marktplatz_shared.db import utcnow, write_engine

from ..domain.keys import NewKey, Principal, Role, generate_key, parse_key, secret_matches
from .tables import api_keys

MIGRATIONS = os.path.join(os.path.dirname(os.path.dirname(__file__)), "migrations")


class KeyNotFound(Exception):
    pass


@dataclass(frozen=True)
class KeyRecord:
    key_id: str
    role: str
    vendor_id: str | None
    label: str
    created_at: datetime
    revoked_at: datetime | None
    replaced_by: str | None

    def to_dict(self) -> dict:
        return {
            "key_id": self.key_id,
            "role": self.role,
            "vendor_id": self.vendor_id,
            "label": self.label,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "replaced_by": self.replaced_by,
        }


def _record(row) -> KeyRecord:
    return KeyRecord(
        key_id=row.key_id,
        role=row.role,
        vendor_id=row.vendor_id,
        label=row.label,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        replaced_by=row.replaced_by,
    )


class KeyStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.writer = write_engine(engine)

    def issue(self, vendor_id: str, label: str = "") -> tuple[KeyRecord, str]:
        """A new retailer key bound to ``vendor_id``: its record and the plaintext, which is never stored."""
        new = generate_key()
        with self.writer.begin() as conn:
            self._insert(conn, new, vendor_id, label)
        return self.get(new.key_id), new.plaintext

    def rotate(self, key_id: str) -> tuple[KeyRecord, str]:
        """Revoke ``key_id`` and issue its successor for the same vendor, in one transaction."""
        new = generate_key()
        with self.writer.begin() as conn:
            old = conn.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
            if old is None or old.revoked_at is not None:
                raise KeyNotFound(key_id)
            self._insert(conn, new, old.vendor_id, old.label)
            conn.execute(
                update(api_keys).where(api_keys.c.key_id == key_id).values(revoked_at=utcnow(), replaced_by=new.key_id)
            )
        return self.get(new.key_id), new.plaintext

    def revoke(self, key_id: str) -> KeyRecord:
        with self.writer.begin() as conn:
            done = conn.execute(
                update(api_keys)
                .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
        record = self.get(key_id)
        if done.rowcount == 0 and record.revoked_at is None:  # pragma: no cover - raced with nothing
            raise KeyNotFound(key_id)
        return record

    def get(self, key_id: str) -> KeyRecord:
        with self.engine.connect() as conn:
            row = conn.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
        if row is None:
            raise KeyNotFound(key_id)
        return _record(row)

    def list(self, vendor_id: str | None = None, include_revoked: bool = False) -> list[KeyRecord]:
        query = select(api_keys).order_by(api_keys.c.created_at, api_keys.c.key_id)
        if vendor_id is not None:
            query = query.where(api_keys.c.vendor_id == vendor_id)
        if not include_revoked:
            query = query.where(api_keys.c.revoked_at.is_(None))
        with self.engine.connect() as conn:
            return [_record(row) for row in conn.execute(query)]

    def authenticate(self, presented: str) -> Principal | None:
        """The retailer behind a presented key, or None for an unknown, revoked or malformed key."""
        key = parse_key(presented)
        if key is None:
            return None
        with self.engine.connect() as conn:
            row = conn.execute(
                select(api_keys.c.secret_hash, api_keys.c.vendor_id, api_keys.c.revoked_at).where(
                    api_keys.c.key_id == key.key_id
                )
            ).first()
        if row is None or row.revoked_at is not None or not secret_matches(key.secret, row.secret_hash):
            return None
        return Principal(role=Role.RETAILER, key_id=key.key_id, vendor_id=row.vendor_id)

    def count_active(self) -> int:
        return len(self.list())

    @staticmethod
    def _insert(conn, new: NewKey, vendor_id: str | None, label: str) -> None:
        conn.execute(
            insert(api_keys).values(
                key_id=new.key_id,
                secret_hash=new.secret_hash,
                role=Role.RETAILER.value,
                vendor_id=vendor_id,
                label=label or "",
                created_at=utcnow(),
            )
        )


def migrate(url: str | None = None) -> None:
    """Apply the gateway's migrations (Kubernetes runs this as a Job; locally the gateway does it at start)."""
    from marktplatz_shared.db import default_sqlite_url
    from marktplatz_shared.migrations import upgrade

    upgrade(url or os.environ.get("GATEWAY_DATABASE_URL") or default_sqlite_url("gateway"), MIGRATIONS)
