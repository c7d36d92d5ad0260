"""`scrtui upload` while another process holds the database's upload: a refusal with the
holder's pid and exit 2, never a traceback (issue 22: the app and the CLI on one data
directory)."""

from __future__ import annotations

import os

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
