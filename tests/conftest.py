"""Cross-service tests: they run the platform as `make up` does, every service its own process.

They import the load generator, the bench report (bench/) and the platform harness (tests/chaos/platform_run.py)
from the repository root."""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
