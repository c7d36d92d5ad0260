"""The status bar at 80x24 on the Linux console (TERM=linux, tmux), as an administrator sees it
when the smartcard leaves the reader mid-run and comes back (issue 22: "... enter the pas",
and "reinsert" said once the card was back)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_scrtui, scrtui_executable

from .test_tmux_demo import Terminal, pytestmark  # noqa: F401  (skipped without tmux)

REMOVED = "Initial Upload: Paused: smartcard removed: reinsert the same card and enter the passcode to continue"  # noqa: E501
BACK = "Initial Upload: Paused: card back: enter the passcode to continue"


def status_bar(screen: str) -> list[str]:
    """The rows between the window's bottom frame and the footer (the last row)."""
    rows = screen.rstrip("\n").split("\n")[:-1]
    bar: list[str] = []
    for row in reversed(rows):
        if row.strip().startswith("+-") or row.strip().startswith("|"):
            break
        bar.insert(0, row.strip())
    return [row for row in bar if row]


def test_the_pause_reason_is_whole_in_the_status_bar_and_follows_the_card(tmp_path: Path):
    home = tmp_path / "home"
    terminal = Terminal(
        f"{scrtui_executable()} --home {home} demo --patients 8000",
        {"TERM": "linux", "ESCDELAY": "25"},
    )
    try:
        terminal.wait_for("Passcode    digits", timeout=120)
        terminal.keys("1234", "Enter")
        terminal.wait_for("Demo Administrator (")
        terminal.keys("Enter")  # the demo's note
        terminal.keys("g")
        terminal.wait_for("GP Summary Bulk Transmission")
        terminal.keys("r")
        terminal.wait_for("agreed with")
        terminal.keys("y")
        terminal.wait_for("SCR Upload - ")
        terminal.keys("F2")
        terminal.wait_for("which reads the card", timeout=60)
        terminal.keys("1234", "Enter")
        terminal.wait_for("Status    Running", timeout=60)
        terminal.keys("F4")  # the card leaves the reader
        terminal.wait_for("Status    Paused: smartcard removed", timeout=60)
        screen = terminal.wait_for(" the passcode to continue\n")
        bar = status_bar(screen)
        assert " ".join(bar) == REMOVED, screen
        assert len(bar) == 2 and all(len(row) <= 78 for row in bar), screen
        assert "MHS " in screen  # the running view's last row still fits above it
        terminal.keys("F4")  # back in the reader: the passcode is still to come
        screen = terminal.wait_for("card back", timeout=60)
        terminal.keys("Escape")  # the passcode dialog: later
        screen = terminal.wait_for("F3 Log in")
        assert BACK in screen and "reinsert" not in " ".join(status_bar(screen)), screen
    finally:
        terminal.close()
        run_scrtui(home, "stop")  # the upload runs in a process of its own (issue 25)
