"""`scrtui --help` and `scrtui status` start without what only an upload, the app or the
simulator needs (scrtui/cli/common.py): over a hundred test spawns and every administrator's
command pay for what a command imports. The figures are measured, not asserted
(scripts/cli-startup); this says which libraries stay out, which cannot drift with a busy
machine."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import cli_env

# The run's own weight: the engine and wiring, the network, the UI, the card, the stand-ins.
NOT_FOR_ANY_QUICK_COMMAND = (
    "aiohttp",
    "proton",
    "textual",
    "smartcard",
    "scrtui.engine",
    "scrtui.wiring",
    "scrtui.ui",
    "scrtui.card",
    "scrtui.spine",
    "scrtui.standins",
)
# --help reads no log and no database either.
NOT_FOR_HELP = (*NOT_FOR_ANY_QUICK_COMMAND, "structlog", "rich")


def _loaded_by(argv: list[str], home: Path) -> tuple[int, set[str]]:
    script = textwrap.dedent(
        f"""
        import contextlib, io, json, sys
        from scrtui.cli import main
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                code = main({["--home", str(home), *argv]!r})
            except SystemExit as exc:  # argparse's --help
                code = exc.code
        print(json.dumps([code, sorted(sys.modules)]))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    code, modules = json.loads(result.stdout.strip().splitlines()[-1])
    return code, set(modules)


def _heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_help_loads_no_engine_network_ui_card_log_or_simulator(tmp_path: Path) -> None:
    code, modules = _loaded_by(["--help"], tmp_path / "home")
    assert code == 0
    assert "scrtui.cli.upload" in modules  # every command registered, so --help lists them all
    assert _heavy(modules, NOT_FOR_HELP) == []


def test_each_command_help_loads_none_of_them_either(tmp_path: Path) -> None:
    for command in (["upload"], ["simulator"], ["card", "status"], ["demo"], ["status"]):
        code, modules = _loaded_by([*command, "--help"], tmp_path / "home")
        assert code == 0, command
        assert _heavy(modules, NOT_FOR_HELP) == [], command


def test_status_reads_the_database_without_the_engine_network_or_ui(seeded: Path) -> None:
    code, modules = _loaded_by(["status"], seeded)
    assert code == 0
    assert "peewee" in modules  # it did read the practice's database
    assert _heavy(modules, NOT_FOR_ANY_QUICK_COMMAND) == []
