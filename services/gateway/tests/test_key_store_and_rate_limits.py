"""The gateway's own tables on SQLite and PostgreSQL."""

from gateway.adapters.key_store import MIGRATIONS, KeyStore
from gateway.adapters.rate_limiter import RateLimiter
from gateway.adapters.tables import api_keys
from gateway.domain.keys import PREFIX
from marktplatz_shared.db import make_engine
from marktplatz_shared.migrations import upgrade


def test_keys_are_stored_hashed_and_revocation_is_final(db_url):
    upgrade(db_url, MIGRATIONS)
    engine = make_engine(db_url)
    store = KeyStore(engine)
    record, plaintext = store.issue("vendor-a", "till 1")
    assert store.authenticate(plaintext).vendor_id == "vendor-a"
    with engine.connect() as conn:
        stored = conn.execute(api_keys.select()).first()
    secret = plaintext.removeprefix(f"{PREFIX}_{record.key_id}_")  # the secret itself may hold "_"
    assert len(secret) >= 40 and secret not in str(tuple(stored))
    store.revoke(record.key_id)
    assert store.authenticate(plaintext) is None
    assert store.list("vendor-a") == []
    engine.dispose()


def test_rate_limit_counts_per_subject_and_window(db_url):
    upgrade(db_url, MIGRATIONS)
    engine = make_engine(db_url)
    now = [1000.0]
    limiter = RateLimiter(engine, window=60, clock=lambda: now[0])
    assert all(limiter.hit([("addr:a", 3)]) is None for _ in range(3))
    refused = limiter.hit([("addr:a", 3)])
    assert refused is not None and refused.retry_after == 20
    assert limiter.hit([("addr:b", 3)]) is None
    now[0] = 1021.0
    assert limiter.hit([("addr:a", 3)]) is None
    engine.dispose()
