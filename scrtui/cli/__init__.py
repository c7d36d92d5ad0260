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


def build_parser() -> argparse.ArgumentParser:
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
    for name in COMMAND_MODULES:
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
    parser = build_parser()
    args = parser.parse_args(argv)
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
