"""`scrtui bench`: end-to-end figures for this machine (see scrtui/cli/benchmark.py)."""

from __future__ import annotations

import argparse

from scrtui.cli.common import Subcommands


def register(sub: Subcommands) -> None:
    p = sub.add_parser("bench", help="measure the end-to-end upload rate on this machine")
    p.add_argument("--patients", type=int, default=60_000, metavar="N")
    p.add_argument("--latency-ms", type=float, default=0.0, metavar="L")
    p.add_argument("--concurrency", type=int, default=32, metavar="C")
    p.add_argument("--ui", action="store_true", help="also run with the app running headless")
    p.add_argument(
        "--without-pds", action="store_true",
        help="also run with PDS synchronisation off, and print the drop it makes",
    )  # fmt: skip
    p.add_argument(
        "--async", dest="async_mode", action="store_true",
        help="asynchronous mode: acknowledgements through a private RabbitMQ (docs/async-mode.md)",
    )  # fmt: skip
    p.set_defaults(func=run_bench_command)


def run_bench_command(args: argparse.Namespace) -> int:
    from scrtui.cli.benchmark import run_bench

    return run_bench(args)
