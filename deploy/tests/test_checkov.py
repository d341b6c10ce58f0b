"""checkov on the rendered overlays and on the Dockerfiles; every skipped check is justified in checkov-skips.yaml."""

import json
import subprocess

import yaml
from conftest import DEPLOY, REPO, tool

SKIPS = yaml.safe_load((DEPLOY / "checkov-skips.yaml").read_text())["skips"]


def run_checkov(args) -> list[dict]:
    skip = ",".join(s["id"] for s in SKIPS)
    result = subprocess.run(
        [tool("checkov"), *args, "--quiet", "--compact", "--output", "json", "--skip-check", skip, "--skip-download"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.stdout.strip(), f"checkov printed nothing:\n{result.stderr[-2000:]}"
    reports = json.loads(result.stdout)
    return reports if isinstance(reports, list) else [reports]


def failures(reports) -> list[str]:
    return [
        f"{f['check_id']} {f['check_name']}: {f['resource']} ({f['file_path']})"
        for report in reports
        for f in report.get("results", {}).get("failed_checks", [])
    ]


def test_every_skipped_check_has_a_reason():
    for skip in SKIPS:
        assert skip["id"].startswith("CKV"), skip
        assert len(skip.get("reason", "").split()) >= 8, f"{skip['id']} is skipped without a real reason"


def test_checkov_passes_on_every_rendered_overlay(rendered_text, tmp_path):
    for overlay, text in rendered_text.items():
        (tmp_path / f"{overlay}.yaml").write_text(text)

    reports = run_checkov(["--directory", str(tmp_path), "--framework", "kubernetes"])

    assert sum(r["summary"]["passed"] for r in reports) > 0, "checkov checked nothing"
    assert not failures(reports), "\n".join(failures(reports))


def test_checkov_passes_on_the_dockerfiles():
    dockerfiles = sorted(REPO.glob("services/*/Dockerfile"))
    args = ["--framework", "dockerfile"]
    for path in dockerfiles:
        args += ["--file", str(path)]

    reports = run_checkov(args)

    assert sum(r["summary"]["resource_count"] for r in reports) == len(dockerfiles)
    assert not failures(reports), "\n".join(failures(reports))
