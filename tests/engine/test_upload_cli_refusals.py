"""`scrtui upload` while another process holds the database's upload: a refusal with the
holder's pid and exit 2, never a traceback (issue 22: the app and the CLI on one data
directory), or a schedule past the card session (bug 1)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from scrtui.store.db import UploadLock
from tests.engine.test_upload_cli import practice, simulator_url, upload  # noqa: F401


def test_a_second_upload_is_refused_before_the_question_with_the_holders_pid(
    practice,  # noqa: F811
    simulator_url,  # noqa: F811
) -> None:
    lock = UploadLock(practice / "scrtui.db")
    lock.acquire()  # as a running upload in another process holds it
    try:
        result = upload(practice, "--mode", "run", "--mhs-url", simulator_url, "--yes")
    finally:
        lock.release()
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"another upload is running on this database (pid {os.getpid()})" in result.stderr
    assert "Traceback" not in result.stderr
    assert "agreed with HSCIC" not in result.stdout  # refused before the question


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
