"""GTIN-13 (EAN-13) check digits. Books carry ISBN-13, in-store articles numbers starting with 2: same rule."""

from __future__ import annotations


def gtin13_check_digit(first_twelve: str) -> int:
    """The check digit for 12 digits: weights 1, 3, 1, 3 ... from the left, then up to the next multiple of 10."""
    if len(first_twelve) != 12 or not first_twelve.isdigit():
        raise ValueError("a GTIN-13 check digit needs exactly 12 digits")
    total = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(first_twelve))
    return (10 - total % 10) % 10


def gtin13_problem(code: object) -> str | None:
    """None for a valid GTIN-13, else a message saying what is wrong with it."""
    if not isinstance(code, str) or len(code) != 13 or not code.isascii() or not code.isdigit():
        return "must be 13 digits"
    expected = gtin13_check_digit(code[:12])
    if int(code[12]) != expected:
        return f"invalid check digit {code[12]} (expected {expected})"
    return None
