"""A real SMTP server for the tests (aiosmtpd), run as its own process: it stores every message it accepts
in a Maildir, with the envelope recipients in an ``X-Envelope-To`` header, and requires AUTH.

    python smtp_sink.py <port> <maildir> <user> <password>

Prints ``ready`` once it listens; stops when its stdin closes.
"""

import mailbox
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class StoreInMaildir:
    def __init__(self, path):
        self.box = mailbox.Maildir(path, create=True)

    async def handle_DATA(self, server, session, envelope):
        raw = f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode() + envelope.original_content
        self.box.add(raw)
        return "250 Message accepted for delivery"


class Credentials:
    def __init__(self, user, password):
        self.user, self.password = user.encode(), password.encode()

    def __call__(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
            self.user,
            self.password,
        )
        return AuthResult(success=ok)


def main():
    port, path, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    controller = Controller(
        StoreInMaildir(path),
        hostname="127.0.0.1",
        port=port,
        authenticator=Credentials(user, password),
        auth_required=True,
        auth_require_tls=False,
    )
    controller.start()
    print("ready", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
