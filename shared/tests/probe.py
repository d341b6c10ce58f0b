"""Small services that exercise the kernel the way a real service does: a producer with an outbox relay and a
consumer with a reliable handler whose effects are counted in its own database."""

from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, update
from sqlalchemy.orm import Session

from marktplatz_shared.consumer import PermanentFailure, reliable_handler
from marktplatz_shared.db import Database, kernel_metadata, make_engine, transaction
from marktplatz_shared.logs import CorrelationId
from marktplatz_shared.metrics import Metrics
from marktplatz_shared.outbox import OutboxRelay

probe_metadata = MetaData()

effects = Table(
    "probe_effects",
    probe_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(36), nullable=False),
    Column("sku", String(64), nullable=False),
    Column("correlation_id", String(200)),
)
attempts = Table(
    "probe_attempts",
    probe_metadata,
    Column("event_id", String(36), primary_key=True),
    Column("count", Integer, nullable=False),
)
withdrawn = Table(  # the producer's state that changes together with the event
    "probe_withdrawn",
    probe_metadata,
    Column("sku", String(64), primary_key=True),
)


def create_tables(url):
    engine = make_engine(url)
    kernel_metadata.create_all(engine)
    probe_metadata.create_all(engine)
    return engine


def withdraw(engine, sku):
    """A producer's state change plus its event, in one transaction."""
    with transaction(engine, "catalog", correlation_id=f"corr-{sku}") as tx:
        tx.session.execute(insert(withdrawn).values(sku=sku))
        return tx.emit("product_withdrawn", {"vendor_id": "v-probe", "sku": sku})


def effect_counts(engine):
    with Session(engine) as session:
        rows = session.execute(select(effects.c.sku, func.count()).group_by(effects.c.sku)).all()
    return {sku: count for sku, count in rows}


class CatalogProducer:
    """Stands in for any producing service: it only relays its outbox."""

    name = "catalog"
    relay = OutboxRelay()


class ProbeConsumer:
    name = "probe"
    db = Database()
    metrics = Metrics()
    correlation_id = CorrelationId()

    @reliable_handler("catalog", "product_withdrawn")
    def on_product_withdrawn(self, event):
        sku = event.data["sku"]
        with self.db.transaction() as tx:  # attempts are counted outside the effect's transaction
            found = tx.session.execute(
                update(attempts).where(attempts.c.event_id == event.event_id).values(count=attempts.c.count + 1)
            )
            if found.rowcount == 0:
                tx.session.execute(insert(attempts).values(event_id=event.event_id, count=1))
            tried = tx.session.execute(select(attempts.c.count).where(attempts.c.event_id == event.event_id)).scalar()
        if sku.startswith("permanent"):
            raise PermanentFailure(f"{sku} can never be handled")
        if sku.startswith("always-fail"):
            raise RuntimeError(f"cannot handle {sku}")
        if sku.startswith("fail-twice") and tried <= 2:
            raise RuntimeError(f"transient failure {tried} for {sku}")
        with self.db.once(event) as tx:
            tx.session.execute(
                insert(effects).values(event_id=event.event_id, sku=sku, correlation_id=self.correlation_id)
            )
