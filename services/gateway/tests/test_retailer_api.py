import uuid

from conftest import product_body


def test_a_retailer_upserts_lists_and_withdraws_its_products(client, shop):
    vendor_id, retailer = shop()
    put = client.put(f"/v1/vendors/{vendor_id}/products/milch", json=product_body(), headers=retailer)
    assert put.status_code == 200 and put.json["sku"] == "milch" and put.json["on_hand"] == 0
    listed = client.get(f"/v1/vendors/{vendor_id}/products", headers=retailer).json["products"]
    assert [p["sku"] for p in listed] == ["milch"]
    withdrawn = client.delete(f"/v1/vendors/{vendor_id}/products/milch", headers=retailer)
    assert withdrawn.status_code == 200 and withdrawn.json["published"] is False


def test_an_invalid_product_is_refused_before_it_reaches_the_catalog(client, shop):
    vendor_id, retailer = shop()
    answer = client.put(f"/v1/vendors/{vendor_id}/products/x", json=product_body(gtin="12", extra=1), headers=retailer)
    assert answer.status_code == 422 and {"gtin", "extra"} <= set(answer.json["fields"])


def test_bulk_import_reports_each_product_that_failed(client, shop):
    vendor_id, retailer = shop()
    body = {"products": [dict(product_body(), sku="a"), dict(product_body(price="0"), sku="b")]}
    answer = client.post(f"/v1/vendors/{vendor_id}/products/bulk", json=body, headers=retailer)
    assert answer.status_code == 200
    assert answer.json["upserted"] == 1
    assert answer.json["failed"] == [
        {
            "index": 1,
            "sku": "b",
            "code": "invalid_input",
            "message": "price must be positive",
            "fields": {"price": ["must be positive"]},
        }
    ]


def test_stock_lines_apply_by_sequence_and_stale_lines_are_ignored(client, shop):
    vendor_id, retailer = shop()
    client.put(f"/v1/vendors/{vendor_id}/products/milch", json=product_body(), headers=retailer)
    url = f"/v1/vendors/{vendor_id}/stock"
    report = client.post(
        url,
        json={
            "mode": "report",
            "lines": [{"sku": "milch", "quantity": 10, "sequence": 5}, {"sku": "ghost", "quantity": 1, "sequence": 1}],
        },
        headers=retailer,
    )
    assert report.status_code == 200
    assert report.json["applied"] == 1 and report.json["unknown_skus"] == ["ghost"]
    adjust = client.post(
        url,
        json={
            "mode": "adjust",
            "lines": [
                {"sku": "milch", "delta": -3, "sequence": 6, "reason": "sale"},
                {"sku": "milch", "delta": -100, "sequence": 4, "reason": "sale"},
            ],
        },
        headers=retailer,
    )
    assert adjust.json["applied"] == 1 and adjust.json["stale"] == 1
    assert client.get(f"/v1/products/{vendor_id}/milch").json["available"] == 7


def test_stock_lines_must_fit_their_mode(client, shop):
    vendor_id, retailer = shop()
    answer = client.post(
        f"/v1/vendors/{vendor_id}/stock",
        json={"mode": "report", "lines": [{"sku": "a", "delta": 1, "sequence": 1}]},
        headers=retailer,
    )
    assert answer.status_code == 422 and "lines.0" in answer.json["fields"]


def test_a_vendor_moves_its_orders_on_and_a_wrong_step_is_a_conflict(client, shop):
    vendor_id, retailer = shop()
    client.put(f"/v1/vendors/{vendor_id}/products/milch", json=product_body(), headers=retailer)
    client.post(
        f"/v1/vendors/{vendor_id}/stock",
        json={"mode": "report", "lines": [{"sku": "milch", "quantity": 2, "sequence": 1}]},
        headers=retailer,
    )
    client.post(
        "/v1/checkout",
        headers={"Idempotency-Key": uuid.uuid4().hex},
        json={
            "shopper": {"name": "Ben", "email": "ben@example.de"},
            "lines": [{"vendor_id": vendor_id, "sku": "milch", "quantity": 1}],
            "fulfilment": {vendor_id: {"method": "pickup"}},
        },
    )
    orders = client.get(f"/v1/vendors/{vendor_id}/orders?state=placed", headers=retailer).json["orders"]
    assert len(orders) == 1
    url = f"/v1/vendors/{vendor_id}/orders/{orders[0]['vendor_order_id']}/transitions"
    wrong = client.post(url, json={"action": "collect"}, headers=retailer)
    assert wrong.status_code == 409 and "placed" in wrong.json["message"]
    for action, state in (("accept", "accepted"), ("ready", "ready"), ("collect", "collected")):
        moved = client.post(url, json={"action": action}, headers=retailer)
        assert moved.status_code == 200 and moved.json["state"] == state


def test_a_retailer_sets_its_webhook_and_rotates_its_secret(client, shop):
    vendor_id, retailer = shop()
    url = f"/v1/vendors/{vendor_id}/webhook"
    assert client.put(url, json={"webhook_url": "https://pos.example/hook"}, headers=retailer).status_code == 200
    assert client.get(url, headers=retailer).json == {"webhook_url": "https://pos.example/hook"}
    first = client.post(f"{url}/secret", headers=retailer).json["secret"]
    second = client.post(f"{url}/secret", headers=retailer).json["secret"]
    assert first and second and first != second


def test_the_operator_sees_when_each_shop_last_sent_stock(client, shop, operator):
    vendor_id, retailer = shop()
    quiet_id, _ = shop()
    client.put(f"/v1/vendors/{vendor_id}/products/milch", json=product_body(), headers=retailer)
    client.post(
        f"/v1/vendors/{vendor_id}/stock",
        json={"mode": "report", "lines": [{"sku": "milch", "quantity": 10, "sequence": 5}]},
        headers=retailer,
    )
    answer = client.get("/v1/operator/stock-freshness", headers=operator)
    assert answer.status_code == 200
    last = {v["vendor_id"]: v["last_pos_update"] for v in answer.json["vendors"]}
    assert last[vendor_id] is not None and last[quiet_id] is None
