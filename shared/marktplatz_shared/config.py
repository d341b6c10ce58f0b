"""Typed settings for every service, read from config.yaml with ``${ENV:default}`` substitution.

The keys every service understands are named here once; a service adds its own keys by extending
:class:`ServiceSettings` (a marshmallow schema). Settings are checked when the container starts, so a
typo in an environment variable stops the service with a message that names the key, instead of failing
on the first request.

Example::

    class CatalogSettings(ServiceSettings):
        POS_MAX_BATCH_LINES = fields.Integer(load_default=5000, validate=Range(min=1))

    settings = CatalogSettings.from_config(container.config)
"""

from __future__ import annotations

import os
import re
from typing import Any

import yaml
from marshmallow import INCLUDE, Schema, ValidationError, fields, validates_schema
from marshmallow.validate import OneOf, Range
from nameko.extensions import DependencyProvider

AMQP_URI = "AMQP_URI"
DATABASE_URL = "DATABASE_URL"
METRICS_PORT = "METRICS_PORT"
QUEUE_TYPE = "QUEUE_TYPE"
RETRY_DELAYS = "RETRY_DELAYS"
OUTBOX_POLL_INTERVAL = "OUTBOX_POLL_INTERVAL"
ENVIRONMENT = "ENVIRONMENT"

DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"
DEFAULT_RETRY_DELAYS = (1.0, 5.0, 30.0, 120.0)
DEFAULT_OUTBOX_POLL_INTERVAL = 0.1

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}")


class ConfigError(Exception):
    """The configuration cannot be used; the message names every offending key."""


def _substitute(match: re.Match) -> str:
    name, default = match.group(1), match.group(2)
    value = os.environ.get(name)
    if value is None:
        if default is None:
            raise ConfigError(f"environment variable {name} is required and not set")
        return default
    return value


def expand_env(text: str) -> str:
    """Replace ``${NAME}`` and ``${NAME:default}`` with the environment's value."""
    return _ENV.sub(_substitute, text)


def load_config(path: str) -> dict[str, Any]:
    """Read a service's config.yaml the way ``nameko run --config`` does, env vars expanded."""
    with open(path, encoding="utf-8") as handle:
        loaded = yaml.safe_load(expand_env(handle.read()))
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return loaded


class ServiceSettings(Schema):
    """Keys common to every service. Unknown keys (nameko's own, LOGGING...) pass through."""

    class Meta:
        unknown = INCLUDE

    AMQP_URI = fields.String(load_default=DEFAULT_AMQP_URI)
    DATABASE_URL = fields.String(load_default=None, allow_none=True)
    METRICS_PORT = fields.Integer(load_default=0, validate=Range(min=0, max=65535))
    QUEUE_TYPE = fields.String(load_default="classic", validate=OneOf(["classic", "quorum"]))
    RETRY_DELAYS = fields.List(fields.Float(validate=Range(min=0)), load_default=list(DEFAULT_RETRY_DELAYS))
    OUTBOX_POLL_INTERVAL = fields.Float(load_default=DEFAULT_OUTBOX_POLL_INTERVAL, validate=Range(min=0.01))
    ENVIRONMENT = fields.String(load_default="development", validate=OneOf(["development", "test", "production"]))

    #: settings that must not keep their development default in production (name -> default value)
    SECRETS: dict[str, str] = {}

    @validates_schema
    def _production_refuses_default_secrets(self, data, **kwargs):
        if data.get("ENVIRONMENT") != "production":
            return
        errors = {}
        if "guest:guest@" in data.get("AMQP_URI", ""):
            errors["AMQP_URI"] = ["production refuses the default guest credentials"]
        for key, default in self.SECRETS.items():
            if data.get(key) in (None, "", default):
                errors[key] = ["production refuses the development default; set it from a secret"]
        if errors:
            raise ValidationError(errors)

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> dict[str, Any]:
        """Validate a nameko config dict; raise :class:`ConfigError` naming each bad key."""
        try:
            return cls().load(dict(config))
        except ValidationError as err:
            problems = "; ".join(f"{key}: {' '.join(map(str, msgs))}" for key, msgs in sorted(err.messages.items()))
            raise ConfigError(f"invalid configuration: {problems}") from None


class SettingsProvider(DependencyProvider):
    """Checks the service's configuration when the container starts and hands workers the typed settings.

    ``settings = SettingsProvider(CatalogSettings)`` on the service class; a bad key stops the start-up
    with a :class:`ConfigError` naming it.
    """

    def __init__(self, schema: type[ServiceSettings] = ServiceSettings):
        self.schema = schema
        self.values: dict[str, Any] = {}

    def setup(self):
        self.values = self.schema.from_config(self.container.config)

    def get_dependency(self, worker_ctx):
        return self.values
