"""The reference web pages: the shoppers' storefront at ``/`` and the operator's dashboard at ``/dashboard/``.

Static files only (gateway/static/storefront, gateway/static/dashboard): plain HTML, CSS and ES modules that
call the public HTTP API like any other frontend. Nothing comes from a CDN, so a closed network works. These
routes carry no ``@operation``, so the OpenAPI document leaves them out.
"""

from __future__ import annotations

import os

from flask import Blueprint, redirect, send_from_directory

from .errors import ApiError

bp = Blueprint("web", __name__)
STATIC = os.path.join(os.path.dirname(os.path.dirname(__file__)), "static")
STOREFRONT = os.path.join(STATIC, "storefront")
DASHBOARD = os.path.join(STATIC, "dashboard")
MIME_TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}

#: same-origin scripts, styles and API calls only; SVG charts are built with DOM calls, no inline code
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def _serve(folder: str, name: str):
    extension = os.path.splitext(name)[1]
    if extension not in MIME_TYPES or not os.path.isfile(os.path.join(folder, name)):
        raise ApiError(404, "no such resource")
    response = send_from_directory(folder, name, mimetype=MIME_TYPES[extension], max_age=0)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/")
def storefront():
    return _serve(STOREFRONT, "index.html")


@bp.get("/storefront/<path:name>")
def storefront_asset(name):
    return _serve(STOREFRONT, name)


@bp.get("/dashboard")
def dashboard_without_slash():
    return redirect("/dashboard/", code=308)


@bp.get("/dashboard/")
def dashboard():
    return _serve(DASHBOARD, "index.html")


@bp.get("/dashboard/<path:name>")
def dashboard_asset(name):
    return _serve(DASHBOARD, name)
