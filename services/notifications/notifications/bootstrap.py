"""Wires the adapters from the settings: the one place that chooses SMTP or the Maildir sink."""

from __future__ import annotations

from datetime import timedelta

from nameko.extensions import DependencyProvider

from . import settings as keys
from .adapters.mail import MaildirTransport, MailTransport, SmtpTransport
from .adapters.templates import TemplateRenderer
from .adapters.webhook_client import WebhookClient
from .handlers import Outbound
from .settings import NotificationsSettings


def mail_transport(settings: dict) -> MailTransport:
    if settings[keys.MAIL_TRANSPORT] == "smtp":
        return SmtpTransport(
            host=settings[keys.SMTP_HOST],
            port=settings[keys.SMTP_PORT],
            starttls=settings[keys.SMTP_STARTTLS],
            username=settings[keys.SMTP_USERNAME] or "",
            password=keys.smtp_password(settings),
            timeout=settings[keys.SMTP_TIMEOUT],
        )
    return MaildirTransport(settings[keys.MAILDIR_PATH] or keys.default_maildir())


def outbound(settings: dict) -> Outbound:
    return Outbound(
        mail=mail_transport(settings),
        mail_from=settings[keys.MAIL_FROM],
        renderer=TemplateRenderer(),
        webhooks=WebhookClient(settings[keys.WEBHOOK_CONNECT_TIMEOUT], settings[keys.WEBHOOK_READ_TIMEOUT]),
        lease=timedelta(seconds=settings[keys.SEND_LEASE_SECONDS]),
        max_attempts=keys.max_attempts(settings),
        vendor_language=settings[keys.VENDOR_LANGUAGE],
    )


class OutboundChannels(DependencyProvider):
    """``self.outbound`` on the service: mail transport, renderer and webhook client, built at start-up."""

    def setup(self):
        self.outbound = outbound(NotificationsSettings.from_config(self.container.config))

    def get_dependency(self, worker_ctx):
        return self.outbound


class VendorBackfill(DependencyProvider):
    """Whether this container has copied catalog's shops yet (workers come and go; this stays)."""

    def setup(self):
        self.done = False

    def get_dependency(self, worker_ctx):
        return self
