"""Dates for people day first, and what people type read back (docs/dates-and-ids.md)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from scrtui.domain.human_dates import for_people, read_day


def test_people_read_dates_day_first() -> None:
    at = datetime(2026, 2, 1, 9, 5, 7)
    assert for_people(at) == "01/02/2026 09:05:07"
    assert for_people(at, seconds=False) == "01/02/2026 09:05"
    assert for_people(date(2026, 2, 1)) == "01/02/2026"
    assert for_people("2026-02-01T09:05:07") == "01/02/2026 09:05:07"  # the store's ISO
    assert for_people(None) == ""
    assert for_people("not yet") == "not yet"


def test_a_typed_day_is_read_day_first_or_as_iso() -> None:
    assert read_day("01/02/2026") == date(2026, 2, 1)
    assert read_day("2026-02-01") == date(2026, 2, 1)
    with pytest.raises(ValueError):
        read_day("2026/02/01")
    with pytest.raises(ValueError):
        read_day("31/02/2026")
