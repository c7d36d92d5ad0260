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
from hypothesis import settings

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


# How much longer than on a quiet machine a test may wait for something to happen: each wait's
# limit is multiplied by it. It is 4 unless SCRTUI_TEST_SLOWDOWN says otherwise, so that a
# machine whose cores are busy with other work passes as a quiet one does (issue 20): the
# limits only stop a test that would otherwise hang, and no test asserts how fast anything is,
# so a larger one costs nothing but the time a real hang takes to be reported.
SLOWDOWN = max(1.0, float(os.environ.get("SCRTUI_TEST_SLOWDOWN", "4") or 4))


# No hypothesis example has a deadline (its default is 200 ms): a busy machine is not a bug.
settings.register_profile("scrtui", deadline=None)
settings.load_profile("scrtui")


def patience(seconds: float) -> float:
    """A wait's limit on this machine (SLOWDOWN times what a quiet machine needs)."""
    return seconds * SLOWDOWN


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow tier (marked `slow`) is collected first, so pytest-xdist starts its long tests
    at once, beside the rest, instead of leaving one at the end of a worker's queue. Tests of
    the machine's single vpcd reader pair, and of the session's private RabbitMQ, each go to
    one worker (`--dist loadgroup`): the vpcd lock is not fought over, one broker starts."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if item.get_closest_marker("pcsc") or "vcards" in fixtures or "pcscd" in fixtures:
            item.add_marker(pytest.mark.xdist_group("vpcd"))
        elif "broker" in fixtures:
            item.add_marker(pytest.mark.xdist_group("broker"))
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def cli_env() -> dict[str, str]:
    """The environment for a subprocess: no SCRTUI_HOME leaking in, a predictable locale."""
    env = {k: v for k, v in os.environ.items() if k != "SCRTUI_HOME"}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run_scrtui(
    home: Path, *args: str, input: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `scrtui --home HOME ARGS...` and capture its output (text, UTF-8); `timeout`
    only stops a hung command (times SLOWDOWN)."""
    return subprocess.run(
        [scrtui_executable(), "--home", str(home), *args],
        input=input,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=patience(timeout),
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
