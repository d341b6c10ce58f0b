"""Every endpoint that needs a key, with no key, with another vendor's key, with a revoked key."""

import pytest

RETAILER_ENDPOINTS = [
    ("GET", "/v1/vendors/{v}/products", None),
    ("PUT", "/v1/vendors/{v}/products/sku-1", {"gtin": "4012345678901", "title": "T", "category": "C", "price": "1"}),
    ("DELETE", "/v1/vendors/{v}/products/sku-1", None),
    (
        "POST",
        "/v1/vendors/{v}/products/bulk",
        {"products": [{"sku": "s", "gtin": "4012345678901", "title": "T", "category": "C", "price": "1"}]},
    ),
    ("POST", "/v1/vendors/{v}/stock", {"mode": "report", "lines": [{"sku": "sku-1", "quantity": 1, "sequence": 1}]}),
    ("GET", "/v1/vendors/{v}/orders", None),
    ("POST", "/v1/vendors/{v}/orders/vo-1/transitions", {"action": "accept"}),
    ("GET", "/v1/vendors/{v}/webhook", None),
    ("PUT", "/v1/vendors/{v}/webhook", {"webhook_url": "https://example.org/hook"}),
    ("POST", "/v1/vendors/{v}/webhook/secret", None),
]
OPERATOR_ENDPOINTS = [
    ("POST", "/v1/operator/vendors", {"vendor_id": "x"}),
    ("GET", "/v1/operator/vendors/{v}", None),
    ("PATCH", "/v1/operator/vendors/{v}", {"name": "New"}),
    ("POST", "/v1/operator/vendors/{v}/keys", {}),
    ("GET", "/v1/operator/vendors/{v}/keys", None),
    ("POST", "/v1/operator/keys/abc/rotate", None),
    ("DELETE", "/v1/operator/keys/abc", None),
    ("GET", "/v1/operator/dead-letters?service=catalog", None),
    ("POST", "/v1/operator/dead-letters/catalog/replay", {}),
    ("GET", "/v1/operator/search-analytics", None),
    ("GET", "/v1/operator/stats", None),
    ("GET", "/v1/operator/stock-freshness", None),
]


def _rule(path):
    return path.split("?")[0].replace("{v}", "<vendor_id>")


def test_the_matrix_covers_every_endpoint_that_needs_a_key(app):
    from gateway.domain.authorization import Audience

    covered = {(m, _rule(p)) for m, p, _ in RETAILER_ENDPOINTS + OPERATOR_ENDPOINTS}
    needing_a_key = set()
    for rule in app.url_map.iter_rules():
        op = getattr(app.view_functions[rule.endpoint], "operation", None)
        if op is not None and op.audience is not Audience.PUBLIC:
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                needing_a_key.add((method, rule.rule))
    normalised = {
        (
            m,
            r.replace("<sku>", "sku-1")
            .replace("<vendor_order_id>", "vo-1")
            .replace("<key_id>", "abc")
            .replace("<service>", "catalog"),
        )
        for m, r in needing_a_key
    }
    assert normalised == covered


@pytest.mark.parametrize(("method", "path", "body"), RETAILER_ENDPOINTS)
def test_vendor_a_can_never_act_on_vendor_b(client, shop, method, path, body):
    (_, key_a), (b, key_b) = shop(), shop()
    url = path.format(v=b)
    assert client.open(url, method=method, json=body).status_code == 401
    refused = client.open(url, method=method, json=body, headers=key_a)
    assert refused.status_code == 403 and refused.json["code"] == "forbidden"
    assert client.open(url, method=method, json=body, headers=key_b).status_code not in (401, 403)


@pytest.mark.parametrize(("method", "path", "body"), OPERATOR_ENDPOINTS)
def test_a_retailer_key_never_reaches_operator_endpoints(client, shop, method, path, body):
    vendor_id, retailer = shop()
    url = path.format(v=vendor_id)
    assert client.open(url, method=method, json=body).status_code == 401
    assert client.open(url, method=method, json=body, headers=retailer).status_code == 403


def test_a_revoked_or_rotated_key_stops_working_and_the_new_one_works(client, shop, operator):
    vendor_id, retailer = shop()
    url = f"/v1/vendors/{vendor_id}/products"
    assert client.get(url, headers=retailer).status_code == 200
    key_id = client.get(f"/v1/operator/vendors/{vendor_id}/keys", headers=operator).json["keys"][0]["key_id"]
    rotated = client.post(f"/v1/operator/keys/{key_id}/rotate", headers=operator)
    assert rotated.status_code == 201 and rotated.json["key"]["vendor_id"] == vendor_id
    assert client.get(url, headers=retailer).status_code == 401
    fresh = {"X-API-Key": rotated.json["api_key"]}
    assert client.get(url, headers=fresh).status_code == 200
    assert client.delete(f"/v1/operator/keys/{rotated.json['key']['key_id']}", headers=operator).status_code == 200
    assert client.get(url, headers=fresh).status_code == 401


def test_keys_are_listed_without_their_secret(client, shop, operator):
    vendor_id, retailer = shop()
    listed = client.get(f"/v1/operator/vendors/{vendor_id}/keys", headers=operator).json["keys"]
    secret = retailer["Authorization"].split(" ")[1]
    assert len(listed) == 1 and secret not in str(listed)


def test_a_key_for_an_unknown_vendor_is_not_issued(client, operator):
    assert client.post("/v1/operator/vendors/nobody/keys", json={}, headers=operator).status_code == 404
