"""Endpoints for the regional operator (the operator key): vendors, retailer keys, dead letters, analytics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import Blueprint, current_app

from marktplatz_shared.dead_letters import list_dead_letters, replay_dead_letters

from ..adapters.key_store import KeyNotFound
from ..adapters.rpc import ServiceUnavailable, ping_services
from ..domain.authorization import Audience
from .errors import ApiError
from .operations import operation
from .remote import call
from .schemas import (
    SERVICES,
    AnalyticsQuery,
    AnalyticsSchema,
    DeadLetterListSchema,
    DeadLetterQuery,
    IssuedKeySchema,
    IssueKeySchema,
    KeyListSchema,
    KeySchema,
    ReplayResultSchema,
    ReplaySchema,
    StatsSchema,
    StockFreshnessSchema,
    VendorChangesSchema,
    VendorPrivateSchema,
    VendorRegistrationSchema,
)

bp = Blueprint("operator", __name__)
OPERATOR = Audience.OPERATOR
TAGS = ["operator"]


def _gateway():
    return current_app.extensions["gateway"]


@bp.post("/v1/operator/vendors")
@operation(
    "Register a shop",
    audience=OPERATOR,
    tags=TAGS,
    body=VendorRegistrationSchema,
    response=VendorPrivateSchema,
    status=201,
    conflict=True,
)
def register_vendor(body):
    return call("catalog", "register_vendor", body)


@bp.patch("/v1/operator/vendors/<vendor_id>")
@operation(
    "Change a shop's details",
    audience=OPERATOR,
    tags=TAGS,
    body=VendorChangesSchema,
    response=VendorPrivateSchema,
    not_found=True,
    conflict=True,
)
def update_vendor(vendor_id, body):
    return call("catalog", "update_vendor", vendor_id, body)


@bp.get("/v1/operator/vendors/<vendor_id>")
@operation(
    "A shop with its contact and webhook settings",
    audience=OPERATOR,
    tags=TAGS,
    response=VendorPrivateSchema,
    not_found=True,
)
def vendor_private(vendor_id):
    return call("catalog", "get_vendor", vendor_id)


@bp.post("/v1/operator/vendors/<vendor_id>/keys")
@operation(
    "Issue a retailer key bound to this shop",
    audience=OPERATOR,
    tags=TAGS,
    body=IssueKeySchema,
    response=IssuedKeySchema,
    status=201,
    not_found=True,
    description="The key is in the answer once; the gateway keeps only its hash.",
)
def issue_key(vendor_id, body):
    call("catalog", "get_vendor", vendor_id)  # NotFound for a shop that does not exist
    record, plaintext = _gateway().keys.issue(vendor_id, body.get("label", ""))
    return {"key": record.to_dict(), "api_key": plaintext}


@bp.get("/v1/operator/vendors/<vendor_id>/keys")
@operation("The shop's active keys (never the keys themselves)", audience=OPERATOR, tags=TAGS, response=KeyListSchema)
def list_keys(vendor_id):
    return {"keys": [k.to_dict() for k in _gateway().keys.list(vendor_id)]}


@bp.post("/v1/operator/keys/<key_id>/rotate")
@operation(
    "Replace a key: the old one stops working, the new one is shown once",
    audience=OPERATOR,
    tags=TAGS,
    response=IssuedKeySchema,
    status=201,
    not_found=True,
)
def rotate_key(key_id):
    try:
        record, plaintext = _gateway().keys.rotate(key_id)
    except KeyNotFound:
        raise ApiError(404, "no active key with this id") from None
    return {"key": record.to_dict(), "api_key": plaintext}


@bp.delete("/v1/operator/keys/<key_id>")
@operation("Revoke a key", audience=OPERATOR, tags=TAGS, response=KeySchema, not_found=True)
def revoke_key(key_id):
    try:
        return _gateway().keys.revoke(key_id).to_dict()
    except KeyNotFound:
        raise ApiError(404, "no key with this id") from None


@bp.get("/v1/operator/dead-letters")
@operation(
    "Messages a service's handlers gave up on",
    audience=OPERATOR,
    tags=TAGS,
    query=DeadLetterQuery,
    response=DeadLetterListSchema,
)
def dead_letters(query):
    try:
        letters = list_dead_letters(_gateway().settings["AMQP_URI"], query["service"], limit=query["limit"])
    except OSError as exc:
        raise ServiceUnavailable("the message broker is not reachable") from exc
    return {"service": query["service"], "dead_letters": [vars(letter) for letter in letters]}


@bp.post("/v1/operator/dead-letters/<service>/replay")
@operation(
    "Send dead letters back to their handlers (all, or one by message id)",
    audience=OPERATOR,
    tags=TAGS,
    body=ReplaySchema,
    response=ReplayResultSchema,
    not_found=True,
)
def replay(service, body):
    if service not in SERVICES:
        raise ApiError(404, f"no service {service}")
    try:
        count = replay_dead_letters(_gateway().settings["AMQP_URI"], service, body.get("message_id"))
    except OSError as exc:
        raise ServiceUnavailable("the message broker is not reachable") from exc
    return {"replayed": count}


@bp.get("/v1/operator/search-analytics")
@operation(
    "What shoppers search for: top queries and queries that found nothing",
    audience=OPERATOR,
    tags=TAGS,
    query=AnalyticsQuery,
    response=AnalyticsSchema,
)
def search_analytics(query):
    until = query.get("until") or datetime.now(UTC)
    since = query.get("since") or until - timedelta(days=7)
    if since > until:
        raise ApiError(422, "since must not be after until", fields={"since": ["after until"]})
    report = call("search", "query_report", since.isoformat(), until.isoformat(), limit=query["limit"])
    return dict(report, since=since.isoformat(), until=until.isoformat())


@bp.get("/v1/operator/stock-freshness")
@operation(
    "When each shop last sent stock (from its POS or the stock endpoint)",
    audience=OPERATOR,
    tags=TAGS,
    response=StockFreshnessSchema,
)
def stock_freshness():
    return call("catalog", "stock_freshness")


@bp.get("/v1/operator/stats")
@operation("Platform figures: services, search index, keys", audience=OPERATOR, tags=TAGS, response=StatsSchema)
def stats():
    gateway = _gateway()
    services = ping_services(gateway.settings["AMQP_URI"], list(SERVICES), gateway.settings["READY_TIMEOUT"])
    search = None
    if services.get("search") == "ok":
        search = call("search", "stats")
    return {"services": services, "search": search, "api_keys": {"active": gateway.keys.count_active()}}
