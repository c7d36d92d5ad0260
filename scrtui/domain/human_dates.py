"""Dates and times as people read them, and as programs read them (docs/dates-and-ids.md).

Text for people (the screens, the command line's own lines, the run logs, the completion
report's text and HTML) gives dates day first, DD/MM/YYYY, as UK practice staff write them;
what programs read (CSV, --json, the JSON log) gives ISO 8601, which a spreadsheet or a script
cannot misread (01/02 is 1 February here, 2 January elsewhere).
"""

from __future__ import annotations

from datetime import date, datetime

DAY = "%d/%m/%Y"
DAY_AND_MINUTE = "%d/%m/%Y %H:%M"
DAY_AND_SECOND = "%d/%m/%Y %H:%M:%S"


def for_people(value: datetime | date | str | None, *, seconds: bool = True) -> str:
    """DD/MM/YYYY HH:MM[:SS] (a date alone: DD/MM/YYYY); an ISO string is read first (the
    store's documents hold ISO); None, or text that is not a date, as it is ("" for None)."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return value
        return for_people(parsed, seconds=seconds)
    if not isinstance(value, datetime):
        return f"{value:{DAY}}"
    return f"{value:{DAY_AND_SECOND if seconds else DAY_AND_MINUTE}}"


def read_day(text: str) -> date:
    """A date typed by a person: DD/MM/YYYY, or ISO YYYY-MM-DD (scripts); ValueError if
    neither."""
    try:
        return datetime.strptime(text, DAY).date()
    except ValueError:
        return date.fromisoformat(text)
