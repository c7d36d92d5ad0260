"""Shared test helpers: the console script in a subprocess against a temporary --home, and an
open practice database on a real SQLite file.

Add helpers here only if more than one test package needs them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scrtui.paths import Home
from scrtui.store.db import close_database, open_database


def scrtui_executable() -> str:
    """The venv's `scrtui` console script (next to this interpreter), else the one on PATH."""
    beside = Path(sys.executable).with_name("scrtui")
    if beside.exists():
        return str(beside)
    found = shutil.which("scrtui")
    if found is None:
        raise RuntimeError("the scrtui console script is not installed (pip install -e .)")
    return found


def cli_env() -> dict[str, str]:
    """The environment for a subprocess: no SCRTUI_HOME leaking in, a predictable locale."""
    env = {k: v for k, v in os.environ.items() if k != "SCRTUI_HOME"}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run_scrtui(
    home: Path, *args: str, input: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `scrtui --home HOME ARGS...` and capture its output (text, UTF-8)."""
    return subprocess.run(
        [scrtui_executable(), "--home", str(home), *args],
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        env=cli_env(),
        check=False,
    )


ScrtuiRunner = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """`run_cli(home, *args)`: run_scrtui for fixtures of any scope."""
    return run_scrtui


@pytest.fixture
def cli_home(tmp_path: Path) -> Path:
    """An empty data directory for one test (created by the first command)."""
    return tmp_path / "home"


@pytest.fixture
def scrtui(cli_home: Path) -> ScrtuiRunner:
    """`scrtui(*args)` runs the console script against this test's home."""

    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_scrtui(cli_home, *args, input=input)

    return run


@pytest.fixture
def db_home(tmp_path: Path) -> Iterator[Home]:
    """A home with its database open in this process (closed afterwards)."""
    home = Home(tmp_path / "dbhome")
    home.ensure()
    open_database(home.db_path)
    try:
        yield home
    finally:
        close_database()
