"""Files and folders scrtui cannot use safely: loose permissions (tightened, or refused when
that is not allowed), a database it cannot write, settings it cannot read."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from tests.cli.conftest import AsNobody


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_loose_permissions_are_tightened_and_logged(run_cli, cli_home: Path) -> None:
    assert run_cli(cli_home, "seed", "--patients", "5").returncode == 0
    (cli_home / "scrtui.toml").write_text('[practice]\nname = "Loose"\n')
    for path, mode in (
        (cli_home, 0o777),
        (cli_home / "logs", 0o755),
        (cli_home / "scrtui.db", 0o644),
        (cli_home / "scrtui.toml", 0o666),
    ):
        os.chmod(path, mode)
    result = run_cli(cli_home, "status")
    assert result.returncode == 0, result.stderr
    assert (_mode(cli_home), _mode(cli_home / "logs")) == (0o700, 0o700)
    assert (_mode(cli_home / "scrtui.db"), _mode(cli_home / "scrtui.toml")) == (0o600, 0o600)
    events = [
        json.loads(line) for line in (cli_home / "logs" / "scrtui.jsonl").read_text().splitlines()
    ]
    changes = [e["change"] for e in events if e["event"] == "permissions_tightened"]
    assert f"{cli_home}: mode 0777 -> 0700" in changes
    assert f"{cli_home / 'scrtui.db'}: mode 0644 -> 0600" in changes


def test_a_loose_home_that_cannot_be_tightened_is_refused(
    run_cli, shared_dir: Path, as_nobody: AsNobody
) -> None:
    home = shared_dir / "home"
    assert run_cli(home, "seed", "--patients", "5").returncode == 0
    os.chmod(home, 0o777)  # root's folder, open to all: nobody may not chmod it
    result = as_nobody(home, "status")
    assert result.returncode == 2, result.stderr
    assert f"{home} is readable by other users (mode 0777)" in result.stderr
    assert "Operation not permitted" in result.stderr and f"chmod 700 {home}" in result.stderr
    assert "Traceback" not in result.stderr
    assert _mode(home) == 0o777


def test_a_database_this_user_cannot_write_is_refused(
    run_cli, shared_dir: Path, as_nobody: AsNobody
) -> None:
    home = shared_dir / "home"
    assert run_cli(home, "seed", "--patients", "5").returncode == 0
    db = home / "scrtui.db"
    as_nobody.owns(home, home / "logs", *home.rglob("*"))
    os.chmod(db, 0o400)
    before = db.read_bytes()
    result = as_nobody(home, "import", str(shared_dir / "any.jsonl"))
    assert result.returncode == 2, result.stderr
    assert f"the database cannot be written: {db}" in result.stderr
    assert "chmod 600" in result.stderr and "Traceback" not in result.stderr
    os.chmod(db, 0o600)
    os.chmod(home, 0o500)  # the file is fine, but its folder cannot take the -wal file
    folder = as_nobody(home, "status")
    os.chmod(home, 0o700)
    assert folder.returncode == 2, folder.stderr
    assert f"{home} is not writable by this user" in folder.stderr
    assert db.read_bytes() == before


def test_settings_that_cannot_be_read_are_named(
    run_cli, cli_home: Path, shared_dir: Path, as_nobody: AsNobody
) -> None:
    (cli_home / "scrtui.toml").mkdir(parents=True)
    folder = run_cli(cli_home, "status")
    assert folder.returncode == 2
    assert f"{cli_home / 'scrtui.toml'}: cannot read the settings (Is a directory)" in (
        folder.stderr
    )
    home = shared_dir / "home"
    home.mkdir(mode=0o700)
    settings = home / "scrtui.toml"
    settings.write_text('[practice]\nname = "Private"\n')
    as_nobody.owns(home, settings)
    os.chmod(settings, 0o000)
    result = as_nobody(home, "status")
    assert result.returncode == 2, result.stderr
    assert f"{settings}: cannot read the settings (Permission denied)" in result.stderr
    assert "Traceback" not in result.stderr
