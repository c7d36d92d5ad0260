"""Where the data directory comes from (issue 13, bug 1): `--home` after the command as well as
before it, and `scrtui demo` honouring SCRTUI_HOME instead of an old demo folder."""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import pytest

from scrtui.cli import build_parser
from scrtui.cli.app import demo_home

from ..conftest import cli_env, scrtui_executable


def run_plain(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [scrtui_executable(), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env or cli_env(),
        check=False,
    )


def test_home_after_the_command_is_accepted_and_used(tmp_path: Path) -> None:
    home = tmp_path / "after"
    done = run_plain("status", "--home", str(home))
    assert done.returncode == 0, done.stderr
    assert "Initial Upload status: idle" in done.stdout
    assert (home / "scrtui.db").exists()


def test_home_after_a_nested_command_is_accepted(tmp_path: Path) -> None:
    home = tmp_path / "nested"
    done = run_plain("groups", "list", "--home", str(home))
    assert done.returncode == 0, done.stderr
    assert (home / "scrtui.db").exists()


def test_home_before_the_command_is_kept_when_the_command_does_not_repeat_it() -> None:
    args = build_parser().parse_args(["--home", "/x/before", "status"])
    assert args.home == "/x/before"
    args = build_parser().parse_args(["status", "--home", "/x/after"])
    assert args.home == "/x/after"


def test_demo_uses_scrtui_home_when_set(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SCRTUI_HOME", str(tmp_path / "fresh"))
    assert demo_home(argparse.Namespace(home=None)) == tmp_path / "fresh"
    assert demo_home(argparse.Namespace(home=str(tmp_path / "flag"))) == tmp_path / "flag"


def test_demo_without_scrtui_home_keeps_its_own_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SCRTUI_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert demo_home(argparse.Namespace(home=None)) == tmp_path / "scrtui-demo"
