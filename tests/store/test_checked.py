"""The quick check's memory (scrtui/store/checked.py): an unchanged file is not read through
again at the next open, and any change outside scrtui brings the check back."""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path

import pytest

from scrtui.cli.common import EXIT_REFUSED
from scrtui.settings import Settings
from scrtui.store import checked
from scrtui.store import db as store_db
from scrtui.store.db import DamagedDatabase, close_database, open_database
from scrtui.store.seed import seed_practice


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The quick checks that opens run (SQLite's own check, counted as it goes)."""
    ran: list[str] = []
    real = store_db.integrity_problems

    def counted(db, pragma="quick_check"):  # type: ignore[no-untyped-def]
        ran.append(pragma)
        return real(db, pragma)

    monkeypatch.setattr(store_db, "integrity_problems", counted)
    return ran


def _practice(tmp_path: Path) -> Path:
    path = tmp_path / "scrtui.db"
    open_database(path)
    seed_practice(Settings(), 300, seed=3)
    close_database()
    return path


def test_an_unchanged_file_is_not_checked_again(tmp_path: Path, checks: list[str]) -> None:
    path = _practice(tmp_path)
    checks.clear()
    for _ in range(3):
        open_database(path)
        close_database()
    assert checks == []


def test_garbage_written_after_a_clean_close_is_found_at_the_next_open(
    tmp_path: Path, checks: list[str]
) -> None:
    path = _practice(tmp_path)
    checks.clear()
    size = path.stat().st_size
    with open(path, "r+b") as handle:  # the header intact: SQLite opens it happily
        handle.seek(size // 2 // 4096 * 4096)
        handle.write(b"\xde\xad\xbe\xef" * 4096)
    assert not checked.unchanged_since_check(path)  # the outside write shows
    with pytest.raises(DamagedDatabase):  # found by the schema's reading or the quick check
        open_database(path)
    assert not checked.unchanged_since_check(path)
    with pytest.raises(DamagedDatabase):  # and again: a refusal is never remembered
        open_database(path)
    assert not (tmp_path / "scrtui.db.checked").exists()


def test_a_write_by_another_program_brings_the_check_back(
    tmp_path: Path, checks: list[str]
) -> None:
    path = _practice(tmp_path)
    checks.clear()
    with sqlite3.connect(path) as other:  # not scrtui: its close leaves no fingerprint
        other.execute("UPDATE patient SET surname = surname")
    open_database(path)
    close_database()
    assert checks == ["quick_check"]


def test_a_file_sqlite_called_damaged_is_checked_at_the_next_open(
    tmp_path: Path, checks: list[str]
) -> None:
    path = _practice(tmp_path)
    open_database(path)
    store_db.as_store_error(sqlite3.DatabaseError("database disk image is malformed"), path)
    close_database()  # the close does not vouch for it
    checks.clear()
    open_database(path)
    close_database()
    assert checks == ["quick_check"]


def test_a_failed_full_check_brings_the_quick_check_back(tmp_path: Path, checks: list[str]) -> None:
    from scrtui.cli import maintenance

    path = _practice(tmp_path)
    with sqlite3.connect(path) as other:  # an index whose rows no longer match its table:
        other.execute("CREATE INDEX outside ON patient(surname)")  # the quick check passes,
        other.execute("PRAGMA writable_schema=ON")  # the full check does not
        other.execute(
            "UPDATE sqlite_master SET sql = 'CREATE INDEX outside ON patient(forename)' "
            "WHERE name = 'outside'"
        )
    args = argparse.Namespace(home=str(tmp_path))
    assert maintenance.run_check_command(args) == EXIT_REFUSED
    checks.clear()
    open_database(path)  # the quick check passes (it reads no index against its table) ...
    close_database()
    assert checks == ["quick_check"]  # ... but it is made: the file is not vouched for
