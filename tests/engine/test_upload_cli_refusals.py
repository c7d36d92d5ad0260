"""`scrtui upload` refuses a schedule past the card session before its question, exit 2
(issue 22 bug 1)."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.engine.test_upload_cli import practice, practice_template, simulator_url, upload  # noqa: F401


def test_a_start_after_the_card_session_ends_is_refused_before_the_question(
    practice,  # noqa: F811
    simulator_url,  # noqa: F811
) -> None:
    """issue 22 bug 1: the session this command logs in for lasts 10 hours; a start 11h 41m
    away would never come."""
    start = datetime.now() + timedelta(hours=11, minutes=41)
    result = upload(practice, "--mode", "run", "--start", f"{start:%d/%m/%Y %H:%M}",
                    "--mhs-url", simulator_url, "--yes")  # fmt: skip
    assert result.returncode == 2, result.stdout + result.stderr
    assert "is after your card session ends at" in result.stderr
    assert "could never start" in result.stderr and "nothing was sent" in result.stderr
    assert "agreed with HSCIC" not in result.stdout
