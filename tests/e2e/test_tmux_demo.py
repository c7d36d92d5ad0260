"""The installed console script in a real terminal (tmux), as an administrator runs it:
log in with the demo card, Run, "Process completed." with the demo's Spine rejections Failed,
find them in the SCR Reporter, save them to a patient group, resend them with Failed narrowed
to that group, and quit with the exit question; and go-live day's order, Consent Migration then
the Initial Upload."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import patience, run_scrtui, scrtui_executable

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.slow,  # the slow tier: ./run test runs it, first and beside the rest
]


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
        deadline = time.monotonic() + patience(timeout)
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False)


def run_to_completion(terminal: Terminal, key: str, question: str, before_ok=None) -> None:
    """From Bulk Transmission: the option, Yes, (the form), F2; until "Process completed."
    says the demo's 3 rejections Failed."""
    terminal.keys(key)
    terminal.wait_for(question)
    terminal.keys("y")
    terminal.wait_for("SCR Upload - ")
    if before_ok is not None:
        before_ok()
    terminal.keys("F2")
    # The upload runs in a process of its own, which reads the card (issue 25).
    terminal.wait_for("which reads the card", timeout=60)
    terminal.keys("1234", "Enter")
    screen = terminal.wait_for("Process completed.", timeout=60)
    assert "Stopped" in screen
    terminal.wait_for("3 patients Failed. To resend")


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
        terminal.wait_for("Demo Administrator (")
        terminal.wait_for("Demo: the simulated Spine rejects 3 patients")
        terminal.keys("Enter")
        terminal.wait_for("GP Summary Bulk Transmission")
        run_to_completion(terminal, "r", "agreed with")
        terminal.keys("Enter")
        terminal.wait_for("c Stop & Close")  # the window's own keys: the message is closed
        terminal.keys("c")
        terminal.wait_for("Last run")
        terminal.keys("Escape")
        terminal.wait_for("Summary Care Record")
        # The rejected patients: SCR Reporter (Failed first), mark all, save to a group.
        terminal.keys("r")
        terminal.wait_for("Failed: 3 patients")
        terminal.keys("a")
        terminal.wait_for("Marked 3 patients")
        terminal.keys("g")
        terminal.wait_for("Save to a patient group")
        terminal.keys("REJECTED", "F2")
        terminal.wait_for('Group "REJECTED" now has 3 patients')
        terminal.keys("Enter")
        terminal.wait_for("F5-F12")
        terminal.keys("Escape")
        terminal.wait_for("Summary Care Record")
        # Resend them: Failed, narrowed to the group.
        terminal.keys("g")
        terminal.wait_for("GP Summary Bulk Transmission")

        def pick_group() -> None:
            terminal.keys("C-g")
            terminal.wait_for("─ Group Name ─" if term != "linux" else "- Group Name -")
            terminal.keys("REJ")
            terminal.wait_for("REJECTED")
            terminal.keys("Enter")
            terminal.wait_for("REJECTED      Enter or ctrl+g")

        run_to_completion(terminal, "f", "reprocess all failed", before_ok=pick_group)
        screen = terminal.screen()
        assert "3 of 3 checked" in screen  # only the group's members went again
        terminal.keys("Enter")
        terminal.wait_for("c Stop & Close")
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
    assert document["failed"] == 3  # the demo's Spine rejects them every time
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


def test_consent_migration_then_the_initial_upload_in_a_real_terminal(tmp_path: Path) -> None:
    """Go-live day's order (issue 14): the Initial Upload's Run warns until Consent Migration
    has completed; run that first (Down to it), then the Initial Upload asks without warning."""
    home = tmp_path / "home"
    terminal = Terminal(
        f"{scrtui_executable()} --home {home} demo --patients 300",
        {"TERM": "tmux-256color", "ESCDELAY": "25"},
    )
    try:
        terminal.wait_for("passcode", timeout=60)
        terminal.keys("1234", "Enter")
        terminal.wait_for("Demo Administrator (")
        terminal.keys("g")
        terminal.wait_for("Practice No Longer Contributing to SCR")
        terminal.keys("r")
        terminal.wait_for("Consent Migration has not completed")
        terminal.keys("n")
        terminal.wait_for("r Run u Resume")
        terminal.keys("Down", "Down")
        terminal.wait_for("No consent migration has been")  # the box wraps "run yet."
        terminal.keys("r")
        terminal.wait_for("recode")  # the Run says it recodes local records (issue 22)
        terminal.keys("y")
        terminal.wait_for("SCR Upload - Consent Migration - Run")
        terminal.keys("F2")
        terminal.wait_for("which reads the card", timeout=60)  # the upload process (issue 25)
        terminal.keys("1234", "Enter")
        terminal.wait_for("Process completed.", timeout=60)
        terminal.keys("Enter")
        terminal.wait_for("c Stop & Close")
        terminal.keys("c")
        terminal.wait_for("Consent Migration: Stopped: completed")  # the status bar
        terminal.keys("Up", "Up")
        terminal.wait_for("No initial upload has been run")
        terminal.keys("r")
        screen = terminal.wait_for("agreed with")
        assert "Consent Migration has not completed" not in screen
        terminal.keys("y")
        terminal.wait_for("SCR Upload - Run")
        terminal.keys("F2")
        terminal.wait_for("which reads the card", timeout=60)  # the upload process (issue 25)
        terminal.keys("1234", "Enter")
        terminal.wait_for("Process completed.", timeout=60)
    finally:
        terminal.close()
    for upload in ("consent-migration", "initial"):
        status = run_scrtui(home, "status", "--upload", upload, "--json")
        document = json.loads(status.stdout)
        assert document["status"] == "Stopped: completed", document
        assert document["unprocessed"] == 0 and document["sending"] == 0
