"""Shops registered before notifications first ran: copied from catalog's vendor pages at start."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import eventlet
from nameko.exceptions import RemoteError
from nameko.rpc import rpc
from order_events import order_placed, publish, shopper, unique, vendor, vendor_order

from marktplatz_shared.events import new_event
from marktplatz_shared.testing import wait_for

SHOPS: list[dict] = []


class FakeCatalog:
    """The catalog at the RPC port the backfill uses: pages of shops, two to a page."""

    name = "catalog"

    @rpc
    def list_vendors(self, cursor=None, limit=100):
        start = int(cursor or 0)
        page = SHOPS[start : start + 2]
        return {"vendors": page, "next_cursor": str(start + 2) if start + 2 < len(SHOPS) else None}


def test_shops_known_only_to_catalog_get_their_order_mail(
    start_service, running_smtp, container_factory, service_config, amqp_uri, rpc
):
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    shops = [vendor(contact_email=f"{unique('laden')}@lindenau.example") for _ in range(3)]
    SHOPS[:] = [{**shop, "updated_at": an_hour_ago} for shop in shops]
    start_service(VENDOR_BACKFILL_SECONDS=0.2)  # catalog is not up yet: the first tries fail and are repeated
    eventlet.sleep(0.5)
    container_factory(FakeCatalog, service_config).start()

    renamed = {**shops[2], "contact_email": "neu@lindenau.example"}  # newer than the page: the event wins
    publish(amqp_uri, new_event("catalog", "vendor_updated", renamed, correlation_id=unique("corr")))
    stale = {**shops[1], "contact_email": "alt@lindenau.example"}
    stale_event = new_event("catalog", "vendor_updated", stale, correlation_id=unique("corr"))
    publish(amqp_uri, replace(stale_event, occurred_at=datetime.now(UTC) - timedelta(days=1)))  # older: no change

    def known(vendor_id):
        try:
            return rpc("rotate_webhook_secret", vendor_id)
        except RemoteError:
            return None

    for shop in shops:
        wait_for(lambda shop=shop: known(shop["vendor_id"]), message=f"shop {shop['vendor_id']} copied from catalog")

    for shop in shops:
        publish(amqp_uri, order_placed(shopper(), vendor_order(shop)))
    for address in (shops[0]["contact_email"], shops[1]["contact_email"], "neu@lindenau.example"):
        wait_for(lambda address=address: running_smtp.messages_to(address), message=f"the order mail to {address}")
    assert not running_smtp.messages_to("alt@lindenau.example")
    assert not running_smtp.messages_to(shops[2]["contact_email"])
