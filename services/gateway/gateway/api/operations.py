"""The ``@operation`` decorator: one declaration per endpoint gives its audience, validates its input with
marshmallow schemas, shapes its output, and is what the OpenAPI document is generated from.

Example::

    @bp.get("/v1/vendors/<vendor_id>/orders")
    @operation("The vendor's orders", audience=Audience.RETAILER, query=VendorOrdersQuery, response=VendorOrderPage)
    def vendor_orders(vendor_id, query):
        return call("orders", "list_vendor_orders", vendor_id, **query)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from flask import g, request
from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields

from ..domain.authorization import Audience, Decision, decide
from .errors import ApiError, flatten_messages


@dataclass(frozen=True)
class Header:
    name: str
    description: str
    required: bool = True
    max_length: int = 200


@dataclass
class Operation:
    summary: str
    audience: Audience
    tags: list[str]
    body: type[Schema] | None = None
    query: type[Schema] | None = None
    response: type[Schema] | None = None
    many: bool = False
    status: int = 200
    headers: list[Header] = field(default_factory=list)
    not_found: bool = False
    conflict: bool = False
    description: str = ""

    def error_statuses(self, has_path_params: bool) -> list[int]:
        statuses = {400, 429, 503}
        if self.body or self.query or self.headers or has_path_params:
            statuses.add(422)
        if self.body:
            statuses.add(413)
        if self.audience is not Audience.PUBLIC:
            statuses |= {401, 403}
        if self.not_found:
            statuses.add(404)
        if self.conflict:
            statuses.add(409)
        return sorted(statuses)


def _query_data(schema: Schema) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, fld in schema.fields.items():
        key = fld.data_key or name
        if key not in request.args:
            continue
        data[key] = request.args.getlist(key) if isinstance(fld, fields.List) else request.args.get(key)
    return data


def _load(schema_cls: type[Schema], data: Any, unknown) -> dict[str, Any]:
    try:
        return schema_cls(unknown=unknown).load(data)
    except ValidationError as err:
        raise ApiError(422, "the request is not valid", fields=flatten_messages(err.messages)) from None


def _json_body() -> Any:
    if request.content_length == 0 or (not request.data and not request.is_json):
        return {}
    data = request.get_json(silent=True, force=True)
    if data is None:
        raise ApiError(400, "the request body must be JSON")
    return data


def authorize(audience: Audience, path_vendor_id: str | None) -> None:
    decision = decide(audience, g.principal, path_vendor_id)
    if decision is Decision.UNAUTHENTICATED:
        raise ApiError(401, "an API key is required", headers={"WWW-Authenticate": 'Bearer realm="marktplatz"'})
    if decision is Decision.FORBIDDEN:
        raise ApiError(403, "this key may not act here")


def operation(
    summary: str,
    *,
    audience: Audience,
    tags: list[str],
    body: type[Schema] | None = None,
    query: type[Schema] | None = None,
    response: type[Schema] | None = None,
    many: bool = False,
    status: int = 200,
    headers: list[Header] | None = None,
    not_found: bool = False,
    conflict: bool = False,
    description: str = "",
):
    op = Operation(
        summary, audience, tags, body, query, response, many, status, headers or [], not_found, conflict, description
    )

    def decorate(view):
        @functools.wraps(view)
        def endpoint(**path):
            authorize(op.audience, path.get("vendor_id"))
            kwargs: dict[str, Any] = dict(path)
            for header in op.headers:
                value = request.headers.get(header.name)
                if header.required and not value:
                    raise ApiError(422, f"the {header.name} header is required", fields={header.name: ["required"]})
                if value and len(value) > header.max_length:
                    raise ApiError(422, f"the {header.name} header is too long", fields={header.name: ["too long"]})
                kwargs[header.name.lower().replace("-", "_")] = value
            if op.query is not None:
                kwargs["query"] = _load(op.query, _query_data(op.query()), EXCLUDE)
            if op.body is not None:
                body_data = _json_body()
                if not isinstance(body_data, dict):
                    raise ApiError(422, "the request body must be a JSON object", fields={"_schema": ["not an object"]})
                kwargs["body"] = _load(op.body, body_data, RAISE)
            result = view(**kwargs)
            if op.response is not None:
                result = op.response(many=op.many).dump(result)
            return result, op.status

        endpoint.operation = op
        return endpoint

    return decorate
