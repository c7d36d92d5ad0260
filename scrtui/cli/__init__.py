"""Command-line entry: each command group lives in its own module with a `register` function."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from scrtui import __version__
from scrtui.cli.common import EXIT_ERROR, EXIT_REFUSED, CliError

# Each module defines register(subparsers) and sets `func(args) -> int` on its parsers.
COMMAND_MODULES = (
    "scrtui.cli.data",
    "scrtui.cli.upload",
    "scrtui.cli.app",
    "scrtui.cli.bench",
    "scrtui.cli.spine",
    "scrtui.cli.card",
    "scrtui.cli.maintenance",
    "scrtui.cli.background",
)
# The module that registers each command, so that a command imports only its own module:
# `scrtui status` importing every command's (the engine, aiohttp, proton among them) spent
# most of its time on imports (issue 23). tests/cli/test_cli_startup.py keeps this in step.
COMMANDS = {
    **dict.fromkeys(("seed", "import", "groups", "status", "report"), "scrtui.cli.data"),
    "upload": "scrtui.cli.upload",
    "app": "scrtui.cli.app",
    "demo": "scrtui.cli.app",
    "attach": "scrtui.cli.app",
    "stop": "scrtui.cli.background",
    "upload-process": "scrtui.cli.background",
    "bench": "scrtui.cli.bench",
    "simulator": "scrtui.cli.spine",
    "card": "scrtui.cli.card",
    "backup": "scrtui.cli.maintenance",
    "check": "scrtui.cli.maintenance",
}


def command_named(argv: Sequence[str]) -> str | None:
    """The command on the line (after any `--home DIR`), or None (--help, --version, none)."""
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--home":
            i += 2
        elif word.startswith("--home="):
            i += 1
        else:
            return None if word.startswith("-") else word
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser; with `argv` naming a known command, only that command's module is loaded."""
    parser = argparse.ArgumentParser(
        prog="scrtui",
        description="Run the Summary Care Record GP Summary bulk uploads from a terminal.",
    )
    parser.add_argument("--version", action="version", version=f"scrtui {__version__}")
    parser.add_argument(
        "--home",
        metavar="DIR",
        help="data directory (default: $SCRTUI_HOME, else $XDG_DATA_HOME/scrtui)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    command = command_named(argv) if argv is not None else None
    modules = (COMMANDS[command],) if command in COMMANDS else COMMAND_MODULES
    for name in modules:
        importlib.import_module(name).register(sub)
    _home_after_command(parser)
    return parser


def _home_after_command(parser: argparse.ArgumentParser) -> None:
    """Let `--home DIR` come after the command too (`scrtui status --home X`).

    SUPPRESS as the default: a command that does not repeat it keeps the value given before it.
    """
    for action in parser._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for command in action.choices.values():
            if "--home" not in command._option_string_actions:
                command.add_argument(
                    "--home", metavar="DIR", default=argparse.SUPPRESS, help="data directory"
                )
            _home_after_command(command)


def main(argv: Sequence[str] | None = None) -> int:
    os.umask(0o077)  # the database, settings and logs hold patient data: owner only
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(words)
    args = parser.parse_args(words)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_REFUSED
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # here, not at exit, so a closed pipe is met below
        return code
    except BrokenPipeError:
        # The reader went away (`scrtui status | head`): a normal way to read output, not an
        # error. stdout goes to /dev/null so the interpreter's last flush is quiet too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except CliError as exc:
        print(f"scrtui: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("scrtui: interrupted", file=sys.stderr)
        return EXIT_ERROR
