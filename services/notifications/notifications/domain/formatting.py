"""How amounts, opening hours and addresses read in an e-mail, per language."""

from __future__ import annotations

from decimal import Decimal

WEEKDAY_ORDER = ("mo", "tu", "we", "th", "fr", "sa", "su")
WEEKDAY_NAMES = {
    "de": {"mo": "Mo", "tu": "Di", "we": "Mi", "th": "Do", "fr": "Fr", "sa": "Sa", "su": "So"},
    "en": {"mo": "Mon", "tu": "Tue", "we": "Wed", "th": "Thu", "fr": "Fri", "sa": "Sat", "su": "Sun"},
}
CLOSED = {"de": "geschlossen", "en": "closed"}


def format_price(amount: str | Decimal, language: str) -> str:
    """``"12.9"`` -> ``"12,90 €"`` in German, ``"€12.90"`` in English."""
    value = Decimal(str(amount)).quantize(Decimal("0.01"))
    if language == "de":
        whole, cents = f"{value:,.2f}".split(".")
        return f"{whole.replace(',', '.')},{cents} €"
    return f"€{value:,.2f}"


def line_total(quantity: int, unit_price: str) -> Decimal:
    return Decimal(unit_price) * quantity


def opening_hours_rows(opening_hours: dict[str, list[list[str]]], language: str) -> list[tuple[str, str]]:
    """One row per weekday: ``("Mo", "09:00–13:00, 14:00–18:00")``; days without hours read "closed"."""
    names = WEEKDAY_NAMES.get(language, WEEKDAY_NAMES["de"])
    rows = []
    for day in WEEKDAY_ORDER:
        intervals = opening_hours.get(day) or []
        text = ", ".join(f"{start}–{end}" for start, end in intervals) if intervals else CLOSED[language]
        rows.append((names[day], text))
    return rows


def address_lines(street: str, postcode: str, city: str) -> list[str]:
    return [line for line in (street, f"{postcode} {city}".strip()) if line]
