import uuid

from conftest import product_body
from fakes import STATE


def test_search_passes_every_filter_and_sort_to_the_search_service(client, shop):
    vendor_id, retailer = shop()
    client.put(f"/v1/vendors/{vendor_id}/products/milch", json=product_body(), headers=retailer)
    client.post(
        f"/v1/vendors/{vendor_id}/stock",
        json={"mode": "report", "lines": [{"sku": "milch", "quantity": 5, "sequence": 1}]},
        headers=retailer,
    )
    answer = client.get(
        "/v1/search?q=milch&lat=51.3&lon=12.3&max_km=5&category=Lebensmittel&in_stock=true&price_min=0.5"
        f"&price_max=3&fulfilment=pickup&open_now=false&sort=distance&page=1&per_page=10&vendor_id={vendor_id}"
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["total"] == 1 and answer.json["hits"][0]["sku"] == "milch"
    assert "category" in answer.json["facets"]
    sent = STATE["queries"][-1]
    assert sent == {
        "q": "milch",
        "lat": 51.3,
        "lon": 12.3,
        "max_km": 5.0,
        "category": "Lebensmittel",
        "in_stock": True,
        "price_min": "0.5",
        "price_max": "3",
        "fulfilment": "pickup",
        "open_now": False,
        "sort": "distance",
        "page": 1,
        "per_page": 10,
        "vendor_id": vendor_id,
    }


def test_search_refuses_invalid_filters_with_field_errors(client, services):
    answer = client.get("/v1/search?sort=distance&per_page=1000&price_min=abc")
    assert answer.status_code == 422
    assert answer.json["code"] == "invalid_input"
    assert {"per_page", "price_min"} <= set(answer.json["fields"])


def test_suggest_completes_titles(client, shop):
    vendor_id, retailer = shop()
    client.put(f"/v1/vendors/{vendor_id}/products/milch", json=product_body(), headers=retailer)
    assert client.get("/v1/suggest?prefix=voll").json == {"suggestions": ["Vollmilch 1 l"]}


def test_product_detail_shows_availability_in_every_shop_with_the_same_gtin(client, shop):
    (a, key_a), (b, key_b) = shop(), shop()
    client.put(f"/v1/vendors/{a}/products/m1", json=product_body(), headers=key_a)
    client.put(f"/v1/vendors/{b}/products/m2", json=product_body(price="1.19"), headers=key_b)
    client.post(
        f"/v1/vendors/{b}/stock",
        json={"mode": "report", "lines": [{"sku": "m2", "quantity": 7, "sequence": 1}]},
        headers=key_b,
    )
    detail = client.get(f"/v1/products/{a}/m1")
    assert detail.status_code == 200
    assert "on_hand" not in detail.json and detail.json["vendor"]["open_now"] is True
    assert "contact_email" not in detail.json["vendor"]
    offers = {o["vendor_id"]: o for o in detail.json["offers"]}
    assert offers[a]["available"] == 0 and offers[b] == {
        "vendor_id": b,
        "vendor_name": f"Laden {b}",
        "sku": "m2",
        "price": "1.19",
        "available": 7,
    }


def test_an_unknown_or_withdrawn_product_is_not_found(client, shop):
    vendor_id, retailer = shop()
    assert client.get(f"/v1/products/{vendor_id}/nope").status_code == 404
    client.put(f"/v1/vendors/{vendor_id}/products/old", json=product_body(), headers=retailer)
    client.delete(f"/v1/vendors/{vendor_id}/products/old", headers=retailer)
    gone = client.get(f"/v1/products/{vendor_id}/old")
    assert gone.status_code == 404 and gone.json["code"] == "not_found"


def test_vendors_list_and_detail_say_whether_a_shop_is_open_now(client, shop):
    vendor_id, _ = shop()
    listed = client.get("/v1/vendors?limit=100").json["vendors"]
    assert [v["open_now"] for v in listed if v["vendor_id"] == vendor_id] == [True]
    detail = client.get(f"/v1/vendors/{vendor_id}").json
    assert detail["opening_hours"]["mo"] == [["00:00", "24:00"]] and "webhook_url" not in detail
    assert client.get("/v1/vendors/nobody").status_code == 404


def checkout_body(vendor_id, quantity=1):
    return {
        "shopper": {"name": "Anna", "email": "anna@example.de"},
        "lines": [{"vendor_id": vendor_id, "sku": "milch", "quantity": quantity}],
        "fulfilment": {vendor_id: {"method": "pickup"}},
    }


def stocked_shop(client, shop, quantity=3):
    vendor_id, retailer = shop()
    client.put(f"/v1/vendors/{vendor_id}/products/milch", json=product_body(), headers=retailer)
    client.post(
        f"/v1/vendors/{vendor_id}/stock",
        json={"mode": "report", "lines": [{"sku": "milch", "quantity": quantity, "sequence": 1}]},
        headers=retailer,
    )
    return vendor_id, retailer


def test_checkout_is_idempotent_and_the_token_shows_and_cancels_the_order(client, shop):
    vendor_id, _ = stocked_shop(client, shop)
    key = {"Idempotency-Key": uuid.uuid4().hex}
    placed = client.post("/v1/checkout", json=checkout_body(vendor_id), headers=key)
    assert placed.status_code == 201, placed.json
    again = client.post("/v1/checkout", json=checkout_body(vendor_id), headers=key)
    assert again.json["order_id"] == placed.json["order_id"]
    order_id, token = placed.json["order_id"], placed.json["order_token"]
    status = client.get(f"/v1/orders/{order_id}", headers={"X-Order-Token": token})
    assert status.status_code == 200 and status.json["vendor_orders"][0]["state"] == "placed"
    assert client.get(f"/v1/orders/{order_id}", headers={"X-Order-Token": "wrong"}).status_code == 404
    cancelled = client.post(f"/v1/orders/{order_id}/cancel", json={}, headers={"X-Order-Token": token})
    assert cancelled.status_code == 200 and cancelled.json["vendor_orders"][0]["state"] == "cancelled"


def test_checkout_needs_an_idempotency_key_and_a_fulfilment_per_shop(client, shop):
    vendor_id, _ = stocked_shop(client, shop)
    assert client.post("/v1/checkout", json=checkout_body(vendor_id)).status_code == 422
    body = dict(checkout_body(vendor_id), fulfilment={})
    answer = client.post("/v1/checkout", json=body, headers={"Idempotency-Key": "k1"})
    assert answer.status_code == 422 and "fulfilment" in answer.json["fields"]


def test_checkout_beyond_stock_is_a_conflict_naming_the_shortages(client, shop):
    vendor_id, _ = stocked_shop(client, shop, quantity=1)
    answer = client.post("/v1/checkout", json=checkout_body(vendor_id, 5), headers={"Idempotency-Key": "k2"})
    assert answer.status_code == 409
    assert answer.json["details"]["shortages"] == [
        {"vendor_id": vendor_id, "sku": "milch", "requested": 5, "available": 1}
    ]
