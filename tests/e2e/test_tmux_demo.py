"""The installed console script in a real terminal (tmux), as an administrator runs it:
log in with the demo card, Run, "Process completed.", and quit with the exit question."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import run_scrtui, scrtui_executable

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Terminal:
    def __init__(self, command: str, env: dict[str, str]) -> None:
        self.name = f"scrtui-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={v}" for k, v in env.items())
        subprocess.run(
            [
                "tmux",
                "new-session",
                "-d",
                "-s",
                self.name,
                "-x",
                "80",
                "-y",
                "24",
                f"env {exports} {command}; echo EXITED:$?; sleep 60",
            ],
            check=True,
        )

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False)


@pytest.mark.parametrize("term", ["tmux-256color", "linux"])
def test_run_to_process_completed_in_a_real_terminal(tmp_path: Path, term: str) -> None:
    home = tmp_path / "home"
    terminal = Terminal(
        f"{scrtui_executable()} --home {home} demo --patients 300",
        {"TERM": term, "ESCDELAY": "25"},
    )
    try:
        terminal.wait_for("passcode", timeout=60)
        terminal.keys("1234", "Enter")
        terminal.wait_for("Logged in as Demo Administrator")
        terminal.keys("Enter")
        terminal.wait_for("GP Summary Bulk Transmission")
        terminal.keys("r")
        terminal.wait_for("agreed with")
        terminal.keys("y")
        terminal.wait_for("SCR Upload - Run")
        terminal.keys("F2")
        screen = terminal.wait_for("Process completed.", timeout=60)
        assert "Stopped" in screen
        terminal.keys("Enter")
        terminal.keys("F10")
        terminal.wait_for("Are you sure you want to exit the application?")
        terminal.keys("y")
        terminal.wait_for("EXITED:0")
    finally:
        terminal.close()
    status = run_scrtui(home.parent / "home", "status", "--json")
    document = json.loads(status.stdout)
    assert document["unprocessed"] == 0 and document["sending"] == 0
    assert document["sent"] > 0
    assert (home / "logs" / "simulator.log").exists()  # the demo's simulator logs there too


def test_a_damaged_database_shows_a_message_screen_in_a_real_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert run_scrtui(home, "seed", "--patients", "20").returncode == 0
    db = home / "scrtui.db"
    db.write_bytes(b"\0" * 8192)  # zeroed by a failing disk
    terminal = Terminal(f"{scrtui_executable()} --home {home} app", {"TERM": "tmux-256color"})
    try:
        screen = terminal.wait_for("scrtui cannot open this practice", timeout=60)
        assert "the database is damaged" in screen
        assert "Traceback" not in screen
        terminal.keys("Enter")
        after = terminal.wait_for("EXITED:2")
        assert "scrtui: the database is damaged" in after  # and said again on the terminal
    finally:
        terminal.close()
