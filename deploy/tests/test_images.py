"""The Dockerfiles (linted: no Docker engine here) and the start script every image runs."""

import os
import re
import stat
import subprocess

import pytest
from conftest import DEPLOY, REPO, SERVICES
from dockerfile_parse import DockerfileParser

START_SCRIPT = DEPLOY / "docker" / "marktplatz-start.sh"
COMPILERS = re.compile(r"\b(gcc|g\+\+|clang|build-essential|make|cc|python3?-dev|libpq-dev)\b")


def stages(path):
    parser = DockerfileParser(path=str(path))
    result = []
    for instruction in parser.structure:
        if instruction["instruction"] == "FROM":
            result.append({"from": instruction["value"], "instructions": []})
        elif result:
            result[-1]["instructions"].append(instruction)
    return result


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_is_multi_stage_on_a_pinned_slim_python_311(service):
    path = REPO / "services" / service / "Dockerfile"
    found = stages(path)
    assert len(found) >= 2, "multi-stage: a build stage and a runtime stage"
    for stage in found:
        image = stage["from"].split()[0]
        assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", image), f"base image {image} is not a pinned slim 3.11"
    runtime = found[-1]
    assert any(i["instruction"] == "COPY" and "--from=" in i["value"] for i in runtime["instructions"])


@pytest.mark.parametrize("service", SERVICES)
def test_final_stage_runs_as_a_numeric_non_root_user_without_compilers(service):
    runtime = stages(REPO / "services" / service / "Dockerfile")[-1]["instructions"]
    users = [i["value"] for i in runtime if i["instruction"] == "USER"]
    assert users, "no USER in the final stage"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, f"USER {users[-1]} is not a numeric non-root uid"
    for instruction in runtime:
        if instruction["instruction"] == "RUN":
            assert not COMPILERS.search(instruction["value"]), f"compiler in the final stage: {instruction['value']}"
    entrypoint = [i["value"] for i in runtime if i["instruction"] == "ENTRYPOINT"]
    assert entrypoint == ['["/usr/local/bin/marktplatz-start"]']
    env = " ".join(i["value"] for i in runtime if i["instruction"] == "ENV")
    assert f"MARKTPLATZ_SERVICE={service}" in env


def test_every_image_copies_only_what_the_build_context_keeps():
    ignored = (REPO / ".dockerignore").read_text().split()
    for service in SERVICES:
        text = (REPO / "services" / service / "Dockerfile").read_text()
        for source in re.findall(r"^COPY (?!--from)(?:--\S+ )*(\S+)", text, re.M):
            assert not any(source.startswith(p.rstrip("/")) for p in ignored if not p.startswith("*")), source
    assert "**/.venv*" in ignored and ".git" in ignored


@pytest.fixture
def fake_tools(tmp_path):
    """python and nameko stand-ins that record how the start script called them."""
    log = tmp_path / "calls.log"
    for name in ("python", "nameko", "gunicorn"):
        tool = tmp_path / name
        tool.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n')
        tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    return tmp_path, log


def run_start(fake_tools, *args, **env):
    bindir, log = fake_tools
    environment = {"PATH": f"{bindir}:/usr/bin:/bin", "MARKTPLATZ_SERVICE": "catalog", **env}
    result = subprocess.run(
        ["sh", str(START_SCRIPT), *args], env=environment, capture_output=True, text=True, timeout=30
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return result, calls


def test_start_waits_for_the_broker_migrates_then_runs_the_service(fake_tools):
    result, calls = run_start(fake_tools, "start", MIGRATE_ON_START="true", ENVIRONMENT="production")

    assert result.returncode == 0, result.stderr
    assert calls[0].startswith("python -m marktplatz_shared.healthcheck --wait-for-broker")
    assert calls[1] == "python -c from catalog.service import migrate; migrate()"
    assert calls[2] == "nameko run --config /app/config.yaml catalog.service"


def test_start_leaves_migrations_to_the_job_when_told(fake_tools):
    result, calls = run_start(fake_tools, "start", MIGRATE_ON_START="false")

    assert result.returncode == 0, result.stderr
    assert not any("migrate" in call for call in calls)


def test_start_refuses_a_nameko_backdoor_in_production(fake_tools):
    result, calls = run_start(fake_tools, "start", ENVIRONMENT="production", NAMEKO_BACKDOOR_PORT="3000")

    assert result.returncode != 0
    assert not any(call.startswith("nameko") for call in calls)


def test_gateway_starts_gunicorn_with_threaded_workers(fake_tools):
    result, calls = run_start(fake_tools, "start", MARKTPLATZ_SERVICE="gateway", MIGRATE_ON_START="false")

    assert result.returncode == 0, result.stderr
    assert calls[-1].startswith(
        "gunicorn --config python:gateway.gunicorn_conf --bind 0.0.0.0:8000 --worker-class gthread"
    )
    assert calls[-1].endswith("gateway.app:create_app()")


def test_gateway_start_empties_the_prometheus_multiprocess_directory(fake_tools, tmp_path):
    metrics_dir = tmp_path / "prometheus-multiproc"
    metrics_dir.mkdir()
    (metrics_dir / "counter_4242.db").write_bytes(b"left by the previous container")
    result, calls = run_start(
        fake_tools,
        "start",
        MARKTPLATZ_SERVICE="gateway",
        MIGRATE_ON_START="false",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )

    assert result.returncode == 0, result.stderr
    assert metrics_dir.is_dir() and not list(metrics_dir.iterdir())
    assert calls[-1].startswith("gunicorn --config python:gateway.gunicorn_conf")


def test_start_script_is_executable():
    assert os.access(START_SCRIPT, os.X_OK)
