"""Fixtures of the notifications suite: a real SMTP server, a real HTTP receiver, the service, and publishing
events the way catalog and orders do (the JSON envelope on their ``<service>.events`` exchange)."""

import email
import email.policy
import http.server
import mailbox
import os
import socket
import subprocess
import sys
import threading

import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from order_events import publish, unique

from marktplatz_shared.events import new_event
from marktplatz_shared.testing import wait_for
from notifications.service import NotificationsService

SMTP_USER, SMTP_PASSWORD = "marktplatz", "smtp-test-password"
HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """The aiosmtpd server in its own process; ``messages()`` reads what it accepted."""

    def __init__(self, port, path):
        self.port, self.path, self.process = port, str(path), None

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "smtp_sink.py"), str(self.port), self.path, SMTP_USER, SMTP_PASSWORD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def stop(self):
        if self.process is not None:
            self.process.stdin.close()
            self.process.wait(timeout=10)
            self.process = None

    def messages(self):
        if not os.path.isdir(self.path):
            return []
        box = mailbox.Maildir(self.path, create=False)
        return [email.message_from_bytes(box.get_bytes(key), policy=email.policy.default) for key in box.keys()]

    def messages_to(self, address):
        return [m for m in self.messages() if m["X-Envelope-To"] == address]


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def smtp_sink(smtp_port, tmp_path):
    sink = SmtpSink(smtp_port, tmp_path / "smtp-received")
    yield sink
    sink.stop()


@pytest.fixture
def running_smtp(smtp_sink):
    smtp_sink.start()
    return smtp_sink


class WebhookReceiver:
    """A real HTTP server on localhost that records each request and answers with scripted statuses."""

    def __init__(self):
        self.requests = []
        self.statuses = []
        self.held = None
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if len(receiver.requests) == 1 and receiver.held is not None:
                    receiver.held.wait(timeout=10)  # a receiver that does not answer in time
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else (receiver.statuses or [200])[0]
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def url(self, path="/hooks/marktplatz"):
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def hold_first_request(self):
        """Keep the first request waiting (until ``release()``) instead of answering it."""
        self.held = threading.Event()

    def release(self):
        if self.held is not None:
            self.held.set()

    def answer_with(self, *statuses):
        """Answer the next requests with ``statuses`` in turn; the last one repeats."""
        self.statuses = list(statuses)


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()
    receiver.thread.start()
    yield receiver
    receiver.release()
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def service_config(amqp_uri, db_url, smtp_port):
    return {
        "AMQP_URI": amqp_uri,
        "DATABASE_URL": db_url,
        "RETRY_DELAYS": [0.1, 0.2, 0.4],
        "MAIL_TRANSPORT": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_port,
        "SMTP_STARTTLS": False,
        "SMTP_USERNAME": SMTP_USER,
        "SMTP_PASSWORD": SMTP_PASSWORD,
        "SMTP_TIMEOUT": 5,
        "WEBHOOK_CONNECT_TIMEOUT": 2,
        "WEBHOOK_READ_TIMEOUT": 2,
        "MAIL_FROM": "Marktplatz Lindenau <bestellungen@lindenau.example>",
    }


@pytest.fixture
def start_service(service_config, container_factory):
    # the broker's vhost and the database are set up first, so they are torn down after the containers
    def start(**overrides):
        container = container_factory(NotificationsService, {**service_config, **overrides})
        container.start()
        return container

    return start


@pytest.fixture
def rpc(service_config):
    def call(method, *args):
        with ServiceRpcProxy("notifications", {"AMQP_URI": service_config["AMQP_URI"]}) as proxy:
            return getattr(proxy, method)(*args)

    return call


@pytest.fixture
def register_vendor(amqp_uri, rpc):
    """Publish catalog's vendor_registered and wait until notifications knows the vendor; returns its
    webhook secret (fetched with rotate_webhook_secret, as an operator would)."""

    def register(data):
        publish(amqp_uri, new_event("catalog", "vendor_registered", data, correlation_id=unique("corr")))

        def secret():
            try:
                return rpc("rotate_webhook_secret", data["vendor_id"])["secret"]
            except RemoteError as exc:
                if exc.exc_type != "NotFound":
                    raise
                return None

        return wait_for(secret, message=f"vendor {data['vendor_id']} to be known")

    return register


@pytest.fixture
def notification_log(rpc):
    """``notification_log(order_id, channel=None)``: what the service says it sent for an order."""

    def entries(order_id, channel=None):
        return [entry for entry in rpc("sent_for_order", order_id) if channel is None or entry["channel"] == channel]

    return entries
