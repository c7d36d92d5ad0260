"""A command loads only its own module (scrtui/cli/__init__.py COMMANDS): `scrtui status` on a
large practice must answer quickly, and most of its time was importing the other commands'
modules (the engine, aiohttp, proton). Measured by scripts/scale_figures.py, not here."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

from scrtui.cli import COMMAND_MODULES, COMMANDS, command_named


def test_the_command_table_names_the_module_that_registers_each_command() -> None:
    registered = {}
    for name in COMMAND_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(name).register(sub)
        registered.update(dict.fromkeys(sub.choices, name))
    assert registered == COMMANDS


def test_the_command_is_found_after_the_home_option() -> None:
    assert command_named(["--home", "/x", "status", "--json"]) == "status"
    assert command_named(["--home=/x", "report"]) == "report"
    assert command_named(["--version"]) is None
    assert command_named([]) is None


def test_status_imports_neither_the_engine_nor_the_network_libraries(tmp_path) -> None:
    home = tmp_path / "home"
    code = (
        "import sys\n"
        "from scrtui.cli import main\n"
        f"main(['--home', {str(home)!r}, 'status', '--json'])\n"
        "heavy = ('aiohttp', 'proton', 'textual', 'scrtui.engine.engine')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
