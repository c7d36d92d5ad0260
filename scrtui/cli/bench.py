"""`scrtui bench`: end-to-end figures for this machine (see scrtui/cli/benchmark.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from scrtui.cli.common import EXIT_REFUSED, CliError, Subcommands


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
        "--no-pds", action="store_true",
        help="run with PDS synchronisation off (one round trip a patient)",
    )  # fmt: skip
    p.add_argument(
        "--pds-concurrency", type=int, default=None, metavar="P",
        help="PDS queries at once, ahead of the summaries (default: [pds] concurrency)",
    )  # fmt: skip
    p.add_argument(
        "--async", dest="async_mode", action="store_true",
        help="asynchronous mode: acknowledgements through a private RabbitMQ "
        "(docs/async-mode.md), then the same patients synchronously, and the ratio",
    )  # fmt: skip
    p.add_argument(
        "--practice", metavar="DIR",
        help="a home seeded before (`scrtui --home DIR seed`): its patients instead of seeding",
    )  # fmt: skip
    p.add_argument(
        "--keep", metavar="DIR", default=None,
        help="keep the benchmarked practice (its home, after the first run) in DIR",
    )  # fmt: skip
    p.set_defaults(func=run_bench_command)


def run_bench_command(args: argparse.Namespace) -> int:
    from scrtui.cli.benchmark import run_bench

    if args.practice and not (Path(args.practice) / "scrtui.db").is_file():
        raise CliError(
            f"--practice {args.practice}: there is no scrtui.db in it; make one with "
            f"`scrtui --home {args.practice} seed --patients N`",
            EXIT_REFUSED,
        )

    return run_bench(args)
