"""pytest plugin for every Marktplatz test suite (registered as the ``marktplatz`` pytest11 entry point).

Tests run against the real local RabbitMQ and real databases:

- ``amqp_uri``: a fresh RabbitMQ virtual host per test (made with rabbitmqctl), deleted afterwards;
  the broker is ``TEST_AMQP_URI`` (default amqp://guest:guest@127.0.0.1:5672/).
- ``db_url``: an empty database, parametrised over SQLite (a file in tmp_path) and PostgreSQL (a database
  made for the test on ``TEST_POSTGRES_URL``, default postgresql://postgres@127.0.0.1:5432/test, dropped
  afterwards); ``new_db_url()`` makes more of the same backend. Without a reachable PostgreSQL the
  PostgreSQL variants are skipped with that reason.
- ``restart_rabbitmq()``: stops and starts the broker application, for the tests that must survive it.
"""

import eventlet

eventlet.monkey_patch()  # before anything imports socket: nameko containers need a green world

import os  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from urllib.parse import quote, urlsplit, urlunsplit  # noqa: E402

import pytest  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

BROKER_URI = os.environ.get("TEST_AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def wait_for(predicate, timeout=15.0, interval=0.05, message="condition"):
    """Poll ``predicate`` until it returns a truthy value (returned) or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message} (last value: {last!r})")


def process_alive(pid) -> bool:
    """True while the process runs; a killed process nobody reaped yet (a zombie: some container inits never
    reap orphans) counts as gone."""
    try:
        with open(f"/proc/{int(pid)}/status") as status:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except FileNotFoundError:
        return False


def _rabbitmqctl(*args, check=True):
    exe = shutil.which("rabbitmqctl") or "/usr/sbin/rabbitmqctl"
    return subprocess.run([exe, *args], check=check, capture_output=True, text=True, timeout=120)


def _broker_port_open(uri=BROKER_URI):
    parts = urlsplit(uri)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), timeout=1):
            return True
    except OSError:
        return False


def _with_vhost(uri, vhost):
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(vhost, safe=""), parts.query, parts.fragment))


@pytest.fixture
def amqp_uri():
    if not _broker_port_open():
        pytest.fail(f"RabbitMQ is not reachable at {BROKER_URI}: run `make broker` (the tests need a real broker)")
    user = urlsplit(BROKER_URI).username or "guest"
    vhost = f"mp-test-{uuid.uuid4().hex[:12]}"
    _rabbitmqctl("add_vhost", vhost)
    _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
    yield _with_vhost(BROKER_URI, vhost)
    _rabbitmqctl("delete_vhost", vhost, check=False)


def restart_rabbitmq():
    """Stop and start the RabbitMQ application (connections drop; durable data survives)."""
    _rabbitmqctl("stop_app")
    _rabbitmqctl("start_app")
    _rabbitmqctl("await_startup", check=False)
    wait_for(_broker_port_open, timeout=60, message="RabbitMQ to accept connections again")


@pytest.fixture(scope="session")
def postgres_admin():
    """An AUTOCOMMIT engine on the test PostgreSQL server, or the reason there is none."""
    engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # noqa: BLE001
        yield None, f"PostgreSQL not reachable at {POSTGRES_URL} ({type(exc).__name__}); set TEST_POSTGRES_URL"
        return
    yield engine, None
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def new_db_url(request, tmp_path):
    """A factory of empty databases of one backend (a test may need several: producer and consumer)."""
    created = []
    if request.param == "postgresql":
        admin, reason = request.getfixturevalue("postgres_admin")
        if admin is None:
            pytest.skip(reason)

    def make():
        name = f"mp_test_{uuid.uuid4().hex[:12]}"
        if request.param == "sqlite":
            return f"sqlite:///{tmp_path / (name + '.db')}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        parts = urlsplit(POSTGRES_URL)
        return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))

    yield make
    for name in created:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def db_url(new_db_url):
    return new_db_url()
