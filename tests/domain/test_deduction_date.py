"""Bulk Deregistration's deduction date goes into every summary: a future date or one before the
practice's records begin is a typing slip, refused (scrtui/domain/uploads.py, issue 20)."""

from __future__ import annotations

from datetime import date

from scrtui.domain.uploads import deduction_date_problem

TODAY = date(2026, 12, 3)
BEGIN = date(1998, 4, 1)


def test_today_and_any_day_since_the_records_begin_are_accepted() -> None:
    for day in (TODAY, BEGIN, date(2026, 4, 15)):
        assert deduction_date_problem(day, TODAY, BEGIN) is None


def test_a_future_date_is_refused_saying_the_latest_allowed() -> None:
    problem = deduction_date_problem(date(9999, 12, 31), TODAY, BEGIN)
    assert problem is not None
    assert "31/12/9999 is in the future" in problem and "today (03/12/2026)" in problem
    assert deduction_date_problem(date(2026, 12, 4), TODAY, None) is not None


def test_a_date_before_the_records_begin_is_refused_naming_that_date() -> None:
    problem = deduction_date_problem(date(1997, 1, 1), TODAY, BEGIN)
    assert problem is not None and "(01/04/1998, its earliest registration)" in problem
    assert deduction_date_problem(date(1900, 1, 1), TODAY, None) is None  # an empty practice
