"""`scrtui simulator` as a process: the ready line, flags, SIGTERM, parent death, --public."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import psutil
import pytest

from scrtui.settings import is_loopback_host
from scrtui.standins.simulator import start_simulator_process
from tests.conftest import patience

from .conftest import NHS

URL = re.compile(r"^http://127\.0\.0\.1:(\d+)/$")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "SCRTUI_HOME": str(tmp_path / "home")}


@pytest.fixture
def simulator(env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    process, url = start_simulator_process(
        ["--reject", f"{NHS},9691035456", "--latency-ms", "1", "--error-500-share", "0.25"],
        env=env,
    )
    yield process, url
    if process.poll() is None:
        process.kill()
        process.wait()


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_for(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + patience(timeout)
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met within the timeout"
        time.sleep(0.05)


async def test_process_prints_one_ready_line_applies_flags_and_stops_on_sigterm(
    simulator, env
) -> None:
    process, url = simulator
    assert URL.match(url)
    async with aiohttp.ClientSession() as http:
        async with http.get(url + "healthcheck") as response:
            assert response.status == 200
        async with http.get(url + "control") as response:
            config = await response.json()
    assert config["reject_nhs_numbers"] == sorted([NHS, "9691035456"])
    assert (config["latency_ms"], config["error_500_share"]) == (1, 0.25)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=10) == 0
    assert process.stdout is not None and process.stdout.read() == b""  # exactly one line
    log = Path(env["SCRTUI_HOME"]) / "logs" / "scrtui.jsonl"
    assert "simulator_started" in log.read_text() and "simulator_stopped" in log.read_text()


def test_child_exits_when_its_parent_dies(env) -> None:
    script = (
        "from scrtui.standins.simulator import start_simulator_process\n"
        "import time\n"
        "process, url = start_simulator_process()\n"
        "print(process.pid, url, flush=True)\n"
        "time.sleep(120)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        pid_text, url = parent.stdout.readline().split()
        assert URL.match(url)
        child = int(pid_text)
        assert not gone(child)
        parent.kill()
        parent.wait()
        wait_for(lambda: gone(child))
    finally:
        parent.kill()


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scrtui.cli.spine", "simulator", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_non_loopback_host_needs_public(env) -> None:
    done = run_cli("--host", "0.0.0.0", "--port", "0", env=env)
    assert done.returncode == 2
    assert "not a loopback address" in done.stderr and "--public" in done.stderr
    assert done.stdout == ""


def test_bad_flag_values_are_refused(env) -> None:
    done = run_cli("--error-500-share", "1.5", env=env)
    assert done.returncode == 2 and "not a share from 0 to 1" in done.stderr
    done = run_cli("--reject", "1234567890", env=env)
    assert done.returncode == 2 and "not valid NHS numbers" in done.stderr


def test_start_failure_reports_stderr(env) -> None:
    with pytest.raises(RuntimeError, match="before ready; stderr: .*loopback"):
        start_simulator_process(["--host", "192.0.2.1"], env=env)


def test_loopback_hosts() -> None:
    assert (
        is_loopback_host("127.0.0.1") and is_loopback_host("::1") and is_loopback_host("localhost")
    )
    assert not is_loopback_host("0.0.0.0") and not is_loopback_host("example.org")


def test_simulator_is_a_scrtui_command() -> None:
    from scrtui.cli import build_parser
    from scrtui.cli.spine import run_simulator

    args = build_parser().parse_args(["simulator", "--port", "0", "--outage"])
    assert args.func is run_simulator and args.outage and args.port == 0
