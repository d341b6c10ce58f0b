"""Fixtures of the offline deploy checks: the rendered overlays and the stored CRD schemas."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parent.parent
REPO = DEPLOY.parent
OVERLAYS = sorted(p.name for p in (DEPLOY / "k8s" / "overlays").iterdir() if p.is_dir())
SERVICES = ["catalog", "search", "orders", "notifications", "gateway"]
NAMEKO_SERVICES = ["catalog", "search", "orders", "notifications"]


def tool(name: str) -> str:
    """A tool from this venv (deploy/.venv-deploy/bin), where deploy/requirements.txt pins it."""
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: run `make -C deploy install`")
    return found


def render(overlay: str) -> str:
    result = subprocess.run(
        [tool("kubectl"), "kustomize", str(DEPLOY / "k8s" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "KUBECONFIG": os.devnull},
    )
    assert result.returncode == 0, f"kustomize failed for {overlay}:\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="session")
def rendered_text() -> dict[str, str]:
    return {overlay: render(overlay) for overlay in OVERLAYS}


@pytest.fixture(scope="session")
def rendered(rendered_text) -> dict[str, list[dict]]:
    return {overlay: [d for d in yaml.safe_load_all(text) if d] for overlay, text in rendered_text.items()}


def of_kind(docs: list[dict], kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == kind}


def pod_specs(docs: list[dict]):
    """(kind/name, pod spec) of every workload that runs pods."""
    for doc in docs:
        if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            yield f"{doc['kind']}/{doc['metadata']['name']}", doc["spec"]["template"]["spec"]
        elif doc["kind"] == "CronJob":
            yield f"CronJob/{doc['metadata']['name']}", doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
