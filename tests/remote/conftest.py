"""Real processes for the background upload (issue 25): a seeded practice, the simulator on a
loopback port slow enough that a run lasts while the test looks at it, and helpers that wait
on conditions (the simulator's counters, the upload process's socket)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from scrtui.remote.files import RunFiles
from tests.conftest import cli_env, patience, run_scrtui

PATIENTS = 400
PASSCODE_ENV = {"SCRTUI_PASSCODE": "1234"}


def wait_until(condition: Callable[[], object], what: str, limit: float = 120.0) -> None:
    """Wait for a condition; the limit only stops a broken test from hanging for ever."""
    end = time.monotonic() + patience(limit)
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.05)


@dataclass
class Practice:
    home: Path
    url: str
    simulator: subprocess.Popen[bytes]

    def stats(self) -> dict:
        with urllib.request.urlopen(self.url + "stats", timeout=10) as response:
            return json.load(response)

    def accepted(self) -> int:
        return int(self.stats()["accepted"])

    def scrtui(self, *args: str, env: dict[str, str] | None = None):
        return subprocess.run(
            [sys.executable, "-m", "scrtui", "--home", str(self.home), *args],
            capture_output=True,
            text=True,
            timeout=120,
            env={**cli_env(), **(env or {})},
            stdin=subprocess.DEVNULL,
            check=False,
        )

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "scrtui", "--home", str(self.home), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env={**cli_env(), **(env or {})},
        )

    def upload_pid(self) -> int | None:
        return RunFiles(self.home).holder()

    def detach(self, mode: str = "run") -> int:
        done = self.scrtui("upload", "--mode", mode, "--yes", "--detach", env=PASSCODE_ENV)
        assert done.returncode == 0, done.stderr
        assert "runs in the background" in done.stdout
        pid = self.upload_pid()
        assert pid
        return pid

    def slow_down(self) -> None:
        """250 ms a round trip: the run lasts minutes (400 patients, about 2 a second), so it
        is still running whatever a busy machine does to the terminals' pace; the test then
        waits only on what it sees, never on the run not having ended yet."""
        self.control(latency_ms=250)

    def hurry(self) -> None:
        """From now on the simulator answers at once and the next run sends 8 at a time (a
        resume to the end need not take the slow pace that kept the first run going)."""
        self.control(latency_ms=0)
        toml = self.home / "scrtui.toml"
        toml.write_text(toml.read_text().replace("concurrency = 1", "concurrency = 8"))

    def control(self, **changes: object) -> None:
        request = urllib.request.Request(
            self.url + "control",
            data=json.dumps(changes).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10):
            pass


@pytest.fixture(scope="module")
def practice_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("bg") / "home"
    seeded = run_scrtui(home, "seed", "--patients", str(PATIENTS))
    assert seeded.returncode == 0, seeded.stderr
    return home


def start_practice(template: Path, folder: Path) -> Practice:
    from scrtui.standins.simulator import start_simulator_process

    home = folder / "home"
    shutil.copytree(template, home)
    # 40 ms a round trip, one message at a time: about 12 patients a second (PDS + summary).
    process, url = start_simulator_process(
        ["--latency-ms", "40", "--pds-practice", str(home / "scrtui.db")],
        env={**os.environ, "SCRTUI_HOME": str(home)},
    )
    (home / "scrtui.toml").write_text(
        f'[spine]\nmhs_url = "{url}"\nconcurrency = 1\n[card]\nbackend = "simulated"\n'
    )
    return Practice(home, url, process)


def stop_practice(practice: Practice) -> None:
    pid = practice.upload_pid()
    if pid:
        os.kill(pid, 9)
        wait_until(lambda: practice.upload_pid() is None, "the upload process ended")
    practice.simulator.terminate()
    practice.simulator.wait(10)


@pytest.fixture
def practice(practice_template: Path, tmp_path: Path) -> Iterator[Practice]:
    p = start_practice(practice_template, tmp_path)
    try:
        yield p
    finally:
        stop_practice(p)


@pytest.fixture
def shared_practice(practice_template: Path) -> Iterator[Practice]:
    """A practice in a folder another user may enter (tmp_path is root's alone)."""
    if os.geteuid() != 0:
        pytest.skip("needs root, to run a client as another user")
    folder = Path(tempfile.mkdtemp(prefix="scrtui-bg-"))
    os.chmod(folder, 0o755)
    p = start_practice(practice_template, folder)
    try:
        yield p
    finally:
        stop_practice(p)
        shutil.rmtree(folder)


# The real pcscd and the vpcd virtual cards (tests/card/conftest.py), for the card's removal.
from tests.card.conftest import pcscd, vcards  # noqa: E402, F401
