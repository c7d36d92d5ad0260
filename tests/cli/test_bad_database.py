"""A damaged, empty, misplaced or read-only database: refused with where it is and how to
restore it (exit 2, no traceback, the file untouched); backups and the full check."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import stat
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from scrtui.store.db import SCHEMA_VERSION
from tests.cli.conftest import PATIENTS


@pytest.fixture
def home(seeded: Path) -> Path:
    """A copy of the module's seeded practice (tests/cli/test_data_commands.py)."""
    return seeded


def _sql(db: Path, *statements: str) -> None:
    conn = sqlite3.connect(db)
    try:
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def _truncate(db: Path) -> None:
    with open(db, "r+b") as handle:
        handle.truncate(db.stat().st_size // 3)


def _garbage_in_the_middle(db: Path) -> None:
    """Pages in the middle overwritten, the header intact: SQLite opens it happily."""
    size = db.stat().st_size
    with open(db, "r+b") as handle:
        handle.seek(size // 2 // 4096 * 4096)
        handle.write(b"\xde\xad\xbe\xef" * 4096)


def _folder(db: Path) -> None:
    db.unlink()
    db.mkdir()
    (db / "something").write_text("x")


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated": (_truncate, "malformed"),
    "garbage pages": (_garbage_in_the_middle, "malformed"),
    "garbage header": (lambda db: db.write_bytes(b"not a database at all" * 500), "not a database"),
    "a folder": (_folder, "it is a folder"),
    "empty file": (lambda db: db.write_bytes(b""), "empty file of 0 bytes"),
    "missing table": (lambda db: _sql(db, "DROP TABLE attempt"), "the table attempt is missing"),
    "missing column": (
        lambda db: _sql(db, "ALTER TABLE patient DROP COLUMN postcode"),
        "the table patient has no column postcode",
    ),
    "version 0": (lambda db: _sql(db, "UPDATE schema_info SET version = 0"), "version 0"),
    "version text": (
        lambda db: _sql(db, "UPDATE schema_info SET version = 'two'"),
        "version 'two' is not a version",
    ),
    "no tables": (lambda db: _sql(db, *_drop_all(db)), "it has no tables"),
}


def _drop_all(db: Path) -> list[str]:
    conn = sqlite3.connect(db)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    conn.close()
    # IF EXISTS: dropping the search index (FTS5) drops its shadow tables with it
    return ["PRAGMA foreign_keys = OFF", *(f'DROP TABLE IF EXISTS "{n}"' for n in names)]


def _fingerprint(path: Path) -> str:
    if path.is_dir():
        return "dir:" + ",".join(sorted(p.name for p in path.iterdir()))
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("case", list(DAMAGE))
@pytest.mark.parametrize("command", [("status",), ("import", "extract.jsonl")])
def test_damage_is_named_with_where_and_how_to_restore(
    run_cli, home: Path, case: str, command: tuple[str, ...]
) -> None:
    db = home / "scrtui.db"
    damage, detail = DAMAGE[case]
    damage(db)
    before = _fingerprint(db)
    extract = home.parent / "extract.jsonl"
    extract.write_text(
        '{"nhs_number": "943 476 5919", "forename": "A", "surname": "B", "date_of_birth": '
        '"1950-01-01", "gender": "female", "registration_status": "permanent", '
        '"registration_date": "2000-01-01"}\n',
        encoding="utf-8",
    )
    args = [str(extract) if a == "extract.jsonl" else a for a in command]
    result = run_cli(home, *args)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert f"the database is damaged: {db}" in result.stderr
    assert detail in result.stderr
    assert "scrtui backup" in result.stderr and f"to {db}" in result.stderr
    assert _fingerprint(db) == before  # nothing written, nothing half-written
    assert not list(home.glob("*.new"))


def test_a_newer_schema_asks_for_a_newer_scrtui(run_cli, home: Path) -> None:
    _sql(home / "scrtui.db", f"UPDATE schema_info SET version = {SCHEMA_VERSION + 1}")
    result = run_cli(home, "status")
    assert result.returncode == 2
    assert f"schema version {SCHEMA_VERSION + 1}" in result.stderr
    assert "upgrade scrtui" in result.stderr


def test_only_a_missing_path_becomes_a_new_database(run_cli, tmp_path: Path) -> None:
    home = tmp_path / "new"
    assert run_cli(home, "status").returncode == 0
    db = home / "scrtui.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    db.unlink()
    db.touch()  # an empty file in its place (a failed copy, a full disk): not a new practice
    refused = run_cli(home, "seed", "--patients", "5")
    assert refused.returncode == 2
    assert "empty file of 0 bytes" in refused.stderr
    assert db.stat().st_size == 0


def test_the_full_check_passes_a_sound_database_and_fails_a_damaged_one(
    run_cli, home: Path
) -> None:
    sound = run_cli(home, "check")
    assert sound.returncode == 0, sound.stderr
    assert f"The database {home / 'scrtui.db'} is sound: {PATIENTS:,} patients" in sound.stdout
    assert "quick check" in sound.stdout and "full check" in sound.stdout
    # An orphan row the quick check at open does not look for, but the full check does.
    _sql(
        home / "scrtui.db",
        "PRAGMA foreign_keys = OFF",
        "INSERT INTO medication (patient_id, repeat, drug, dose, start) "
        "VALUES (999999, 1, 'x', 'y', '2026-01-01')",
    )
    damaged = run_cli(home, "check")
    assert damaged.returncode == 2
    assert "the database is damaged" in damaged.stderr
    assert "refers to a missing patient row" in damaged.stderr
    assert "scrtui backup" in damaged.stderr


# --- backups -----------------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    # Each transaction adds two groups: a consistent copy always has an even number of them.
    n = 0
    while True:
        conn.execute("BEGIN IMMEDIATE")
        for _ in range(2):
            n += 1
            conn.execute(
                "INSERT INTO patient_group (name, description, system) VALUES (?, '', 0)",
                (f"W{n}",),
            )
        conn.execute("COMMIT")
        if n == 2:
            print("writing", flush=True)
        if n >= 200_000:
            break
    """
)


def _count(db: Path, sql: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_backup_while_another_process_writes_is_consistent_and_restores(
    run_cli, home: Path, tmp_path: Path
) -> None:
    db = home / "scrtui.db"
    groups_before = _count(db, "SELECT COUNT(*) FROM patient_group")
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "writing"
        target = tmp_path / "backups" / "practice.db"
        target.parent.mkdir()
        result = run_cli(home, "backup", str(target))
    finally:
        writer.kill()
        writer.wait(timeout=10)
    assert result.returncode == 0, result.stderr
    assert f"to {target}" in result.stdout
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert not Path(f"{target}-wal").exists()  # one self-contained file
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    added = conn.execute("SELECT COUNT(*) FROM patient_group").fetchone()[0] - groups_before
    conn.close()
    assert added >= 2 and added % 2 == 0  # whole transactions only

    # Restore as the damaged-database message says: the copy in place of the damaged file.
    _garbage_in_the_middle(db)
    assert run_cli(home, "status").returncode == 2
    for side in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        side.unlink(missing_ok=True)
    shutil.copyfile(target, db)
    restored = run_cli(home, "status")
    assert restored.returncode == 0, restored.stderr
    assert f"{PATIENTS:,}" in restored.stdout


def test_backup_ignores_an_open_uncommitted_transaction(
    run_cli, home: Path, tmp_path: Path
) -> None:
    db = home / "scrtui.db"
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the app in the middle of a write
    holder.execute("INSERT INTO patient_group (name, description, system) VALUES ('OPEN', '', 0)")
    try:
        result = run_cli(home, "backup", str(tmp_path))  # a folder: a dated file inside
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 0, result.stderr
    (copy,) = tmp_path.glob("scrtui-*.db")
    assert _count(copy, "SELECT COUNT(*) FROM patient_group WHERE name = 'OPEN'") == 0
    assert _count(copy, "SELECT COUNT(*) FROM patient") == PATIENTS


def test_backup_never_overwrites(run_cli, home: Path, tmp_path: Path) -> None:
    target = tmp_path / "old.db"
    target.write_bytes(b"an older backup")
    result = run_cli(home, "backup", str(target))
    assert result.returncode == 2
    assert "already exists" in result.stderr
    assert target.read_bytes() == b"an older backup"
    nowhere = run_cli(home, "backup", str(tmp_path / "missing" / "x.db"))
    assert nowhere.returncode == 2 and "is not a folder" in nowhere.stderr
