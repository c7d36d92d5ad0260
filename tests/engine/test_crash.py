"""Crash proof: `scrtui upload` SIGKILLed at random moments, then resumed until done, sends
every eligible patient exactly once (as the simulator counts), and `scrtui status` agrees."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

from scrtui.store.db import close_database, open_database
from tests.conftest import patience
from tests.engine.test_engine import expected_split

# The slow tier (pyproject.toml markers): ./run test runs it, first and beside the rest.
pytestmark = pytest.mark.slow

PATIENTS = 2500


def scrtui(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "scrtui", "--home", str(home), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
        text=True,
    )


def stats(url: str) -> dict:
    with urllib.request.urlopen(url + "stats", timeout=5) as response:
        return json.load(response)


def wait_until(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + patience(timeout)
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def test_sigkill_at_random_moments_then_resume_sends_everyone_once(tmp_path):
    from scrtui.standins.simulator import start_simulator_process

    home = tmp_path / "home"
    seed = scrtui(home, "seed", "--patients", str(PATIENTS))
    assert seed.wait(120) == 0, seed.stderr.read()
    open_database(home / "scrtui.db")
    eligible, _ = expected_split(date.today())
    close_database()

    # Some latency so that a run lasts long enough to be killed in the middle.
    process, url = start_simulator_process(
        ["--latency-ms", "5", "--pds-practice", str(home / "scrtui.db")]
    )
    env = {**os.environ, "SCRTUI_PASSCODE": "1234"}
    upload = ["upload", "--card", "simulated", "--mhs-url", url, "--yes"]
    rng = random.Random(20261125)
    try:
        mode = "run"
        for _kill in range(4):
            target = stats(url)["accepted"] + rng.randint(50, len(eligible) // 6)
            child = scrtui(home, *upload, "--mode", mode, env=env)
            wait_until(
                lambda t=target, c=child: stats(url)["accepted"] >= t or c.poll() is not None,
                60,
                "progress before the kill",
            )
            if child.poll() is None:
                child.send_signal(signal.SIGKILL)
            child.wait(10)
            mode = "resume"
        # A killed upload says so instead of claiming to run.
        out, _err = scrtui(home, "status", "--json").communicate(timeout=30)
        if json.loads(out)["unprocessed"] + json.loads(out)["sending"]:
            assert "interrupted" in json.loads(out)["status"]
        # The last child may have finished before its kill: then there is nothing to resume.
        child = scrtui(home, *upload, "--mode", "resume", "--json", env=env)
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0 or "nothing to resume" in err, err
        final = stats(url)
    finally:
        process.terminate()
        process.wait(10)

    assert final["accepted"] == len(eligible)
    assert final["duplicate_nhs_numbers"] == []
    status = scrtui(home, "status", "--json")
    out, err = status.communicate(timeout=30)
    document = json.loads(out)
    assert document["sent"] == final["accepted"]
    assert document["sending"] == 0 and document["unprocessed"] == 0 and document["failed"] == 0
