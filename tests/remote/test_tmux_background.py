"""Issue 25 as an administrator meets it, in real terminals (tmux): start the upload from the
app, close the terminal (kill its tmux session) mid-run, see the upload go on, open the app
from a new terminal, find it running, watch it from a second window too, and Stop it there;
then quit a window leaving a background upload running."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from tests.conftest import scrtui_executable
from tests.e2e.test_tmux_demo import Terminal
from tests.remote.conftest import Practice, wait_until

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
    pytest.mark.slow,  # the slow tier (tmux): ./run test runs it first, beside the rest
]


def open_app(practice: Practice) -> Terminal:
    return Terminal(
        f"{scrtui_executable()} --home {practice.home} app",
        {"TERM": "xterm-256color", "ESCDELAY": "25"},
    )


def start_from_the_app(terminal: Terminal) -> int:
    terminal.wait_for("Smartcard login", timeout=60)
    terminal.wait_for("Passcode")
    terminal.keys("1234", "Enter")
    terminal.wait_for("Demo Administrator (")
    terminal.keys("Enter")
    terminal.wait_for("GP Summary Bulk Transmission")
    terminal.keys("r")
    terminal.wait_for("Do you wish to proceed?")
    terminal.keys("y")
    terminal.wait_for("SCR Upload - Run")
    terminal.keys("F2")
    # The process that sends reads the card: it asks for the passcode through this window.
    terminal.wait_for("which reads the card", timeout=60)
    terminal.keys("1234", "Enter")
    screen = terminal.wait_for("closing this window leaves it running", timeout=60)
    found = re.search(r"Runs in the background \(pid (\d+)\)", screen)
    assert found, screen
    # That line shows as soon as this window holds control, while the upload process may
    # still be logging in; the run has begun once its status says Running (a card pulled
    # before then holds the login, and the run never shows Paused).
    terminal.wait_for("Status    Running", timeout=60)
    return int(found.group(1))


def resume_to_completion(terminal: Terminal) -> None:
    """From "Resume it now?" answered Yes: confirm, start, the passcode, to the end."""
    terminal.wait_for("Continue with the initial upload?")
    terminal.keys("y")
    terminal.wait_for("SCR Upload - Resume")
    terminal.keys("F2")
    terminal.wait_for("which reads the card", timeout=60)
    terminal.keys("1234", "Enter")
    terminal.wait_for("Process completed.", timeout=120)


def checked(screen: str) -> int:
    found = re.search(r"(\d+) of \d+ checked", screen)
    return int(found.group(1)) if found else -1


def test_close_the_terminal_come_back_from_another_and_stop_it(practice: Practice) -> None:
    practice.slow_down()
    first = open_app(practice)
    try:
        pid = start_from_the_app(first)
    finally:
        first.close()  # the terminal goes, as when the SSH window is closed
    at_close = practice.accepted()
    wait_until(lambda: practice.accepted() > at_close + 10, "the simulator keeps accepting")
    assert practice.upload_pid() == pid

    second = open_app(practice)
    third: Terminal | None = None
    try:
        screen = second.wait_for("Open its window?", timeout=60)
        assert f"process {pid}" in screen and "Demo Administrator" in screen
        second.keys("y")
        screen = second.wait_for("closing this window leaves it running")
        seen = checked(screen)
        wait_until(lambda: checked(second.screen()) > seen, "live counts in the new window")

        # A second window watches; the first holds control, and the second says so.
        third = open_app(practice)
        screen = third.wait_for("Open its window?", timeout=60)
        assert "holds control" in screen
        third.keys("y")
        screen = third.wait_for("t takes control")
        assert "Watching: the window on" in screen
        assert "s Stop" not in screen  # only the window in control acts

        second.keys("s")
        second.wait_for("Stop the upload now?")
        second.keys("y")
        second.wait_for("stopped by the user", timeout=60)
        third.wait_for("stopped by the user", timeout=60)
    finally:
        second.close()
        if third is not None:
            third.close()
    wait_until(lambda: practice.upload_pid() is None, "the upload process ended")
    document = json.loads(practice.scrtui("status", "--json").stdout)
    assert document["status"] == "Stopped: by the user"
    assert document["sending"] == 0


def test_quitting_the_window_asks_and_leaves_the_upload_running(practice: Practice) -> None:
    practice.slow_down()
    terminal = open_app(practice)
    try:
        pid = start_from_the_app(terminal)
        # The demo card out (F4): the upload process pauses; back in, its passcode through
        # this window continues it.
        terminal.keys("F4")
        terminal.wait_for("Paused")
        terminal.keys("F4")
        terminal.wait_for("Enter your passcode to continue the upload.")
        terminal.keys("1234", "Enter")
        terminal.wait_for("Status    Running")
        terminal.keys("F10")
        terminal.wait_for("The upload goes on in the background. Leave it running?")
        terminal.keys("y")
        terminal.wait_for("EXITED:0")
    finally:
        terminal.close()
    at_exit = practice.accepted()
    wait_until(lambda: practice.accepted() > at_exit + 5, "the upload goes on")
    assert practice.upload_pid() == pid
    assert practice.scrtui("stop").returncode == 0


def test_killed_upload_process_the_window_says_so_and_resume_continues_exactly_once(
    practice: Practice,
) -> None:
    import os
    import signal

    terminal = open_app(practice)
    try:
        pid = start_from_the_app(terminal)
        wait_until(lambda: practice.accepted() >= 20, "some summaries sent")
        os.kill(pid, signal.SIGKILL)
        screen = terminal.wait_for("Upload process gone", timeout=60)
        assert f"pid {pid}" in screen
        terminal.wait_for("Resume it now?")
        practice.hurry()
        terminal.keys("y")
        resume_to_completion(terminal)
    finally:
        terminal.close()
    stats = practice.stats()
    assert stats["duplicate_nhs_numbers"] == []
    document = json.loads(practice.scrtui("status", "--json").stdout)
    assert document["sent"] == stats["accepted"]
    assert document["sending"] == 0 and document["unprocessed"] == 0


def test_scrtui_attach_opens_the_running_upload_and_refuses_when_none_runs(
    practice: Practice,
) -> None:
    nothing = practice.scrtui("attach")
    assert nothing.returncode == 2
    assert "no upload is running on this data directory" in nothing.stderr
    pid = practice.detach()
    terminal = Terminal(
        f"{scrtui_executable()} --home {practice.home} attach",
        {"TERM": "linux", "ESCDELAY": "25"},
    )
    try:
        screen = terminal.wait_for(f"Runs in the background (pid {pid})", timeout=60)
        assert "Open its window?" not in screen  # attach goes straight to it
        assert "SCR Upload - Run" in screen
    finally:
        terminal.close()
    assert practice.scrtui("stop").returncode == 0


def test_a_window_opened_after_the_process_was_killed_says_so_and_offers_resume(
    practice: Practice,
) -> None:
    import os
    import signal

    pid = practice.detach()
    wait_until(lambda: practice.accepted() >= 10, "some summaries sent")
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: practice.upload_pid() is None, "the killed process let go of its files")
    practice.hurry()
    terminal = open_app(practice)
    try:
        terminal.wait_for("Passcode", timeout=60)  # this window's own login comes first
        terminal.keys("1234", "Enter")
        screen = terminal.wait_for("Resume it now?", timeout=60)
        text = " ".join(screen.replace("│", " ").split())  # the dialog's lines, unwrapped
        assert "Initial Upload - Run (started by Demo Administrator" in text
        assert "Upload process gone" in text
        terminal.keys("y")
        resume_to_completion(terminal)
    finally:
        terminal.close()
    stats = practice.stats()
    assert stats["duplicate_nhs_numbers"] == []
    document = json.loads(practice.scrtui("status", "--json").stdout)
    assert document["sent"] == stats["accepted"] and document["sending"] == 0
