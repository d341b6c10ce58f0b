"""Typed settings of the notifications service: config keys and their defaults, named once."""

import os

from marshmallow import ValidationError, fields, validates_schema
from marshmallow.validate import Length, OneOf, Range

from marktplatz_shared.config import ServiceSettings

MAIL_TRANSPORT = "MAIL_TRANSPORT"
MAILDIR_PATH = "MAILDIR_PATH"
MAIL_FROM = "MAIL_FROM"
SMTP_HOST = "SMTP_HOST"
SMTP_PORT = "SMTP_PORT"
SMTP_STARTTLS = "SMTP_STARTTLS"
SMTP_USERNAME = "SMTP_USERNAME"
SMTP_PASSWORD = "SMTP_PASSWORD"
SMTP_PASSWORD_FILE = "SMTP_PASSWORD_FILE"
SMTP_TIMEOUT = "SMTP_TIMEOUT"
WEBHOOK_CONNECT_TIMEOUT = "WEBHOOK_CONNECT_TIMEOUT"
WEBHOOK_READ_TIMEOUT = "WEBHOOK_READ_TIMEOUT"
SEND_LEASE_SECONDS = "SEND_LEASE_SECONDS"
VENDOR_LANGUAGE = "VENDOR_LANGUAGE"
VENDOR_BACKFILL_INTERVAL = "VENDOR_BACKFILL_SECONDS"
DEFAULT_VENDOR_BACKFILL_SECONDS = 30.0

TRANSPORTS = ("maildir", "smtp")


def default_maildir() -> str:
    """The embedded default sink: var/mail/ (MARKTPLATZ_VAR moves var/)."""
    return os.path.join(os.environ.get("MARKTPLATZ_VAR", "var"), "mail")


class NotificationsSettings(ServiceSettings):
    MAIL_TRANSPORT = fields.String(load_default="maildir", validate=OneOf(TRANSPORTS))
    MAILDIR_PATH = fields.String(load_default=None, allow_none=True)
    MAIL_FROM = fields.String(load_default="Marktplatz <no-reply@marktplatz.invalid>", validate=Length(min=3))
    SMTP_HOST = fields.String(load_default="localhost")
    SMTP_PORT = fields.Integer(load_default=587, validate=Range(min=1, max=65535))
    SMTP_STARTTLS = fields.Boolean(load_default=True)
    SMTP_USERNAME = fields.String(load_default="", allow_none=True)
    SMTP_PASSWORD = fields.String(load_default="", allow_none=True)
    SMTP_PASSWORD_FILE = fields.String(load_default="", allow_none=True)
    SMTP_TIMEOUT = fields.Float(load_default=30.0, validate=Range(min=0.1))
    WEBHOOK_CONNECT_TIMEOUT = fields.Float(load_default=3.0, validate=Range(min=0.1))
    WEBHOOK_READ_TIMEOUT = fields.Float(load_default=10.0, validate=Range(min=0.1))
    # a claimed notification whose worker died is taken over after this; longer than any send can take
    SEND_LEASE_SECONDS = fields.Float(load_default=120.0, validate=Range(min=1))
    VENDOR_LANGUAGE = fields.String(load_default="de", validate=OneOf(["de", "en"]))
    # how often the copy of catalog's shops is tried at start until catalog answers
    VENDOR_BACKFILL_SECONDS = fields.Float(load_default=DEFAULT_VENDOR_BACKFILL_SECONDS, validate=Range(min=0.05))

    @validates_schema
    def _production_sends_real_mail(self, data, **kwargs):
        if data.get("ENVIRONMENT") == "production" and data.get("MAIL_TRANSPORT") != "smtp":
            raise ValidationError({"MAIL_TRANSPORT": ["production sends mail by smtp, not to a file sink"]})


def smtp_password(settings: dict) -> str:
    """The SMTP password from SMTP_PASSWORD_FILE (a mounted secret) or SMTP_PASSWORD."""
    path = settings.get(SMTP_PASSWORD_FILE)
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip()
    return settings.get(SMTP_PASSWORD) or ""


def max_attempts(settings: dict) -> int:
    """How many times the reliable handler tries one delivery: the first try plus one per retry delay."""
    return len(settings["RETRY_DELAYS"]) + 1
