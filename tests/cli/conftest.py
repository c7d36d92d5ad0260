"""CLI fixtures: a seeded practice per module (tests copy it), and the command run as another
user. Tests run as root, who may read and chmod anything, so "permission denied" and "cannot
make it private" are only real for a user without those privileges (nobody). The interpreter
lives under root's home, which nobody cannot enter, so the child starts as root, loads the
commands, then drops to nobody before running one."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import cli_env

PATIENTS = 2000  # in the seeded practice below


@pytest.fixture(scope="module")
def seeded_template(tmp_path_factory: pytest.TempPathFactory, run_cli) -> Path:
    """One seeded home per module; tests that change it work on a copy."""
    home = tmp_path_factory.mktemp("template") / "home"
    result = run_cli(home, "seed", "--patients", str(PATIENTS), "--today", "2026-11-25")
    assert result.returncode == 0, result.stderr
    return home


@pytest.fixture
def seeded(seeded_template: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(seeded_template, home)
    return home


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user can enter (pytest's tmp_path is root's alone)."""
    if os.geteuid() != 0:
        pytest.skip("needs root, to make files that another user cannot read or change")
    folder = Path(tempfile.mkdtemp(prefix="scrtui-test-"))
    os.chmod(folder, 0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


DROP_AND_RUN = textwrap.dedent(
    """
    import os, sys
    from scrtui.cli import build_parser, main
    build_parser()  # imports every command module while root may still read them,
    import structlog, scrtui.wiring  # and what a command imports only when it runs
    uid, gid = int(sys.argv[1]), int(sys.argv[2])
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    sys.exit(main(sys.argv[3:]))
    """
)


class AsNobody:
    """`as_nobody(home, *args)`: `scrtui --home HOME ARGS` run as the user nobody."""

    def __init__(self) -> None:
        entry = pwd.getpwnam("nobody")
        self.ids = (entry.pw_uid, entry.pw_gid)

    def __call__(self, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", DROP_AND_RUN, *map(str, self.ids), "--home", str(home), *args],
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=120,
            env={**cli_env(), "HOME": str(home)},
            check=False,
        )

    def owns(self, *paths: Path) -> None:
        for path in paths:
            os.chown(path, *self.ids)


@pytest.fixture
def as_nobody(shared_dir: Path) -> AsNobody:
    return AsNobody()
