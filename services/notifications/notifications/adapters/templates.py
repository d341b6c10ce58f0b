"""Renders e-mails from the Jinja2 templates shipped in ``notifications/templates/<language>/``.

Each e-mail has ``<name>.txt`` (which also sets ``subject``) and ``<name>.html``. Filters: ``price(language)``
and ``opening_hours(language)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ..domain.formatting import format_price, opening_hours_rows

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


class TemplateRenderer:
    def __init__(self) -> None:
        self.env = Environment(
            loader=PackageLoader("notifications", "templates"),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.env.filters["price"] = format_price
        self.env.filters["opening_hours"] = opening_hours_rows

    def render(self, template: str, language: str, context: dict[str, Any]) -> RenderedEmail:
        language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        values = {**context, "language": language}
        text_module = self.env.get_template(f"{language}/{template}.txt").make_module(values)
        html = self.env.get_template(f"{language}/{template}.html").render(values)
        subject = " ".join(str(text_module.subject).split())
        return RenderedEmail(subject=subject, text=str(text_module).strip() + "\n", html=html)
