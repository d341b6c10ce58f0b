"""Mail transports: SMTP in production, a Maildir file sink as the embedded default.

Both take a finished :class:`email.message.EmailMessage` and raise :class:`DeliveryFailed` (try again
later) or :class:`DeliveryRejected` (the server refused the recipient for good).
"""

from __future__ import annotations

import mailbox
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Protocol

from ..domain.delivery import DeliveryFailed, DeliveryRejected
from .templates import RenderedEmail


class MailTransport(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def build_message(rendered: RenderedEmail, sender: str, recipient: str, headers: dict[str, str]) -> EmailMessage:
    """A multipart/alternative message: the text part first, the HTML part second."""
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = sender
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip(">") or None)
    for name, value in headers.items():
        message[name] = value
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


@dataclass
class SmtpTransport:
    host: str
    port: int
    starttls: bool = True
    username: str = ""
    password: str = ""
    timeout: float = 30.0

    def send(self, message: EmailMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                smtp.ehlo()
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password)
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise DeliveryRejected(f"SMTP server refused the recipient: {exc.recipients}") from exc
            raise DeliveryFailed(f"SMTP server deferred the recipient: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600 and not isinstance(exc, smtplib.SMTPAuthenticationError):
                raise DeliveryRejected(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
            raise DeliveryFailed(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            unavailable = f"SMTP server {self.host}:{self.port} unavailable: {type(exc).__name__}: {exc}"
            raise DeliveryFailed(unavailable) from exc


@dataclass
class MaildirTransport:
    """Writes each message into a Maildir (``new/``), where a developer reads what would have been sent."""

    path: str

    def send(self, message: EmailMessage) -> None:
        try:
            for folder in ("tmp", "new", "cur"):
                os.makedirs(os.path.join(self.path, folder), exist_ok=True)
            mailbox.Maildir(self.path, create=False).add(message)
        except OSError as exc:
            raise DeliveryFailed(f"cannot write to Maildir {self.path}: {exc}") from exc
