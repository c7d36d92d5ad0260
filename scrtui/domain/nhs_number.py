"""NHS number check (NHS Data Dictionary Modulus 11) and display format."""

from __future__ import annotations

_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def normalise(text: str) -> str:
    """Strip the spaces and dashes people type between the 3-3-4 groups."""
    return "".join(ch for ch in text if ch not in " -")


def check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when the result is 10 (never issued)."""
    total = sum(int(d) * w for d, w in zip(first_nine, _WEIGHTS, strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    if digit == 10:
        return None
    return digit


def is_valid(text: str) -> bool:
    """True for a new-style 10-digit NHS number whose check digit is right."""
    number = normalise(text)
    if len(number) != 10 or not number.isascii() or not number.isdigit():
        return False
    return check_digit(number[:9]) == int(number[9])


def format_334(text: str) -> str:
    """Show a 10-digit number as 3-3-4 (`943 476 5919`); anything else is returned unchanged."""
    number = normalise(text)
    if len(number) != 10 or not number.isdigit():
        return text
    return f"{number[:3]} {number[3:6]} {number[6:]}"
