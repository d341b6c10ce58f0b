"""The receivers' verification snippet, loaded from the docs."""

import importlib.util
import pathlib

DOCS = pathlib.Path(__file__).resolve().parents[3] / "docs"


def documented_verify_signature():
    """The receivers' snippet exactly as docs/webhooks.md shows it (docs/webhook_verify.py)."""
    source = (DOCS / "webhook_verify.py").read_text()
    assert source in (DOCS / "webhooks.md").read_text(), "docs/webhooks.md must quote docs/webhook_verify.py verbatim"
    spec = importlib.util.spec_from_file_location("webhook_verify", DOCS / "webhook_verify.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.verify_signature
