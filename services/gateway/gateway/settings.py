"""Typed settings of the gateway, read from gateway/config.yaml (env vars expanded) and checked at start-up."""

from __future__ import annotations

import os
from typing import Any

from marshmallow import fields, pre_load
from marshmallow.validate import Range

from marktplatz_shared.config import ServiceSettings, load_config

CONFIG_PATH = os.path.join(os.path.dirname(__file__), "config.yaml")
DEV_OPERATOR_KEY = "dev-operator-key"


class GatewaySettings(ServiceSettings):
    SECRETS = {"OPERATOR_KEY": DEV_OPERATOR_KEY}

    OPERATOR_KEY = fields.String(load_default=DEV_OPERATOR_KEY)
    MIGRATE_ON_START = fields.Boolean(load_default=True)
    RPC_TIMEOUT = fields.Float(load_default=10.0, validate=Range(min=0.1))
    READY_TIMEOUT = fields.Float(load_default=2.0, validate=Range(min=0.1))
    RETRY_AFTER = fields.Integer(load_default=5, validate=Range(min=1))
    RATE_LIMIT_WINDOW = fields.Integer(load_default=60, validate=Range(min=1))
    RATE_LIMIT_PER_KEY = fields.Integer(load_default=6000, validate=Range(min=1))
    RATE_LIMIT_PER_ADDRESS = fields.Integer(load_default=3000, validate=Range(min=1))
    MAX_CONTENT_LENGTH = fields.Integer(load_default=1024 * 1024, validate=Range(min=1024))
    CORS_ORIGINS = fields.List(fields.String(), load_default=list)
    TRUSTED_PROXIES = fields.Integer(load_default=0, validate=Range(min=0, max=10))

    @pre_load
    def _split_origins(self, data, **kwargs):
        origins = data.get("CORS_ORIGINS")
        if origins is None:
            data = dict(data, CORS_ORIGINS=[])
        elif isinstance(origins, str):
            data = dict(data, CORS_ORIGINS=[o.strip().rstrip("/") for o in origins.split(",") if o.strip()])
        if data.get("DATABASE_URL") == "":
            data = dict(data, DATABASE_URL=None)
        return data


def load_settings(overrides: dict[str, Any] | None = None, path: str = CONFIG_PATH) -> dict[str, Any]:
    """The checked settings: config.yaml with the environment, then ``overrides`` (tests)."""
    config = load_config(path)
    config.update(overrides or {})
    return GatewaySettings.from_config(config)
