"""The demo keeps its simulator's settings to itself (issue 22 bug 7): after `scrtui demo`
the data directory's scrtui.toml still names the practice's MHS adaptor, not the demo's
dead simulator port, so a later `scrtui upload` talks to the real one."""

from __future__ import annotations

from pathlib import Path

from scrtui.settings import Settings, load, save
from tests.conftest import scrtui_executable

from .test_tmux_demo import Terminal, pytestmark  # noqa: F401  (skipped without tmux)

REAL_MHS = "https://mhs.practice.example:8443/"


def test_the_demo_leaves_the_real_mhs_url_in_the_data_directory(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    save(home / "scrtui.toml", Settings(mhs_url=REAL_MHS, card_backend="pcsc"))
    terminal = Terminal(
        f"{scrtui_executable()} --home {home} demo --patients 30",
        {"TERM": "tmux-256color", "ESCDELAY": "25"},
    )
    try:
        terminal.wait_for("passcode", timeout=60)
        during = load(home / "scrtui.toml")  # while the demo runs, too
        assert (during.mhs_url, during.card_backend) == (REAL_MHS, "pcsc")
        terminal.keys("Escape", "F10")
        terminal.wait_for("Are you sure you want to exit")
        terminal.keys("y")
        terminal.wait_for("EXITED:0")
    finally:
        terminal.close()
    after = load(home / "scrtui.toml")
    assert (after.mhs_url, after.card_backend) == (REAL_MHS, "pcsc")


def test_settings_saved_during_the_demo_keep_all_but_the_demos_own() -> None:
    from scrtui.cli.demo_settings import without_demo_values

    before = Settings(mhs_url=REAL_MHS, card_backend="pcsc", practice_name="Old")
    demo = Settings(mhs_url="http://127.0.0.1:40123/", card_backend="simulated",
                    practice_name="Old")  # fmt: skip
    saved = Settings(mhs_url="http://127.0.0.1:40123/", card_backend="simulated",
                     practice_name="The Surgery")  # fmt: skip
    restored = without_demo_values(before, demo, saved)
    assert (restored.mhs_url, restored.card_backend) == (REAL_MHS, "pcsc")
    assert restored.practice_name == "The Surgery"  # the user's own change stays
    chosen = Settings(mhs_url="https://other.example/", card_backend="simulated")
    assert without_demo_values(before, demo, chosen).mhs_url == "https://other.example/"
