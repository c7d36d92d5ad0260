"""Cells a spreadsheet would run: every CSV scrtui writes goes through here.

A patient name or recorded NHS number beginning with =, +, -, @, tab or carriage return is a
formula to Excel and LibreOffice (CSV injection). The OWASP rule: prefix such a cell with a
single quote, which spreadsheets show as text and do not execute.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(cell: object) -> object:
    """The cell, quoted when a spreadsheet would read it as a formula; non-text unchanged."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


def safe_row(cells: Iterable[object]) -> list[object]:
    return [as_text(cell) for cell in cells]
