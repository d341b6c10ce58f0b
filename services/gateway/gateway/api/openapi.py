"""The OpenAPI 3 document, generated from the ``@operation`` declarations and their marshmallow schemas."""

from __future__ import annotations

import re

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from ..domain.authorization import Audience
from .errors import HTTP_CODES
from .schemas import ErrorSchema

TITLE = "Marktplatz gateway"
VERSION = "1.0.0"
_PATH_PARAM = re.compile(r"<(?:[a-z_]+:)?([a-z_]+)>")

DESCRIPTION = """The HTTP API of a Marktplatz installation: local shops' stock, searchable and reservable.

* **Shoppers** use the public endpoints (no key).
* **Retailers** send a key bound to their shop (`Authorization: Bearer mpk_...` or `X-API-Key`); every
  `/v1/vendors/{vendor_id}/...` endpoint that needs a key accepts only the key of that vendor.
* **The operator** sends the operator key.

Every error has one shape: `{"code", "message", "fields", "details"}`. 429 and 503 carry `Retry-After`.
Send `X-Correlation-ID` to follow a request through the platform's logs; the response echoes it.
"""


def _error_response(status: int) -> dict:
    response = {
        "description": HTTP_CODES.get(status, "error").replace("_", " "),
        "content": {"application/json": {"schema": ErrorSchema}},
    }
    if status in (429, 503):
        response["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}}
    return response


def build_spec(app: Flask) -> dict:
    spec = APISpec(
        title=TITLE,
        version=VERSION,
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": DESCRIPTION},
    )
    spec.components.security_scheme("BearerKey", {"type": "http", "scheme": "bearer"})
    spec.components.security_scheme("ApiKeyHeader", {"type": "apiKey", "in": "header", "name": "X-API-Key"})
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        view = app.view_functions.get(rule.endpoint)
        op = getattr(view, "operation", None)
        if op is None:
            continue
        path = _PATH_PARAM.sub(r"{\1}", rule.rule)
        path_params = _PATH_PARAM.findall(rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = {
                "summary": op.summary,
                "tags": op.tags,
                "operationId": f"{rule.endpoint.replace('.', '_')}_{method.lower()}",
                "parameters": [
                    {
                        "in": "path",
                        "name": name,
                        "required": True,
                        "schema": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"}
                        if name.endswith("_id")
                        else {"type": "string", "minLength": 1, "maxLength": 64},
                    }
                    for name in path_params
                ],
                "responses": {},
            }
            if op.description:
                operation["description"] = op.description
            for header in op.headers:
                operation["parameters"].append(
                    {
                        "in": "header",
                        "name": header.name,
                        "required": header.required,
                        "description": header.description,
                        "schema": {"type": "string", "minLength": 1, "maxLength": header.max_length},
                    }
                )
            if op.query is not None:
                operation["parameters"].append({"in": "query", "schema": op.query})
            if op.body is not None:
                operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": op.body}}}
            success: dict = {"description": "OK" if op.status == 200 else "Created"}
            if op.response is not None:
                schema = op.response
                success["content"] = {
                    "application/json": {"schema": {"type": "array", "items": schema} if op.many else schema}
                }
            operation["responses"][str(op.status)] = success
            for status in op.error_statuses(bool(path_params)):
                operation["responses"][str(status)] = _error_response(status)
            if op.audience is not Audience.PUBLIC:
                operation["security"] = [{"BearerKey": []}, {"ApiKeyHeader": []}]
            paths.setdefault(path, {})[method.lower()] = operation
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
