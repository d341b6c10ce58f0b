"""The OpenAPI document and its rendering (swagger-ui, vendored under gateway/static: no CDN)."""

from __future__ import annotations

import os

from flask import Blueprint, current_app, send_from_directory

from .openapi import build_spec

bp = Blueprint("docs", __name__)
SWAGGER_UI = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static", "swagger-ui")
ASSETS = {"swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"}

PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Marktplatz API</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
</head>
<body>
  <div id="docs"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#docs", deepLinking: true});
  </script>
</body>
</html>
"""


@bp.get("/openapi.json")
def openapi_document():
    spec = current_app.extensions.get("gateway_openapi")
    if spec is None:
        spec = current_app.extensions["gateway_openapi"] = build_spec(current_app)
    return spec


@bp.get("/docs")
def docs_page():
    return PAGE, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "public, max-age=300"}


@bp.get("/docs/static/<name>")
def docs_asset(name):
    if name not in ASSETS:
        return {"code": "not_found", "message": "no such resource", "fields": {}}, 404
    response = send_from_directory(SWAGGER_UI, name, max_age=86400)
    return response
