"""Keys sent to a real terminal in one burst (one tmux send-keys call: one read, as SSH under
lag delivers them) apply in the order typed: the passcode after a correction logs in at the
first try, and a time corrected with Backspace reads as typed (issue 22, bug 2)."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import scrtui_executable

from .test_tmux_demo import Terminal, pytestmark  # noqa: F401  (skipped without tmux)


def test_bursts_of_keys_after_backspace_are_not_lost(tmp_path: Path) -> None:
    terminal = Terminal(
        f"{scrtui_executable()} --home {tmp_path / 'home'} demo --patients 50",
        {"TERM": "tmux-256color", "ESCDELAY": "25"},
    )
    try:
        terminal.wait_for("passcode", timeout=60)
        terminal.keys("1", "2", "3", "9", "BSpace", "4", "Enter")  # 1234, in one burst
        screen = terminal.wait_for("Demo Administrator (")
        assert "Wrong passcode" not in screen
        terminal.keys("Enter")  # the demo's note
        terminal.keys("g")
        terminal.wait_for("GP Summary Bulk Transmission")
        terminal.keys("r")
        terminal.wait_for("agreed with")
        terminal.keys("y")
        terminal.wait_for("optional: stop at this time")
        terminal.keys("Tab", "1", "1", ":", "5", "8")  # Stop
        terminal.wait_for("11:58")
        terminal.keys("BSpace", "9", "Tab", "1", "0", ":", "3", "7", "BSpace", "8")
        screen = terminal.wait_for("10:38")
        assert "11:59" in screen, screen
        terminal.keys("Escape")
        terminal.wait_for("GP Summary Bulk Transmission")
    finally:
        terminal.close()
