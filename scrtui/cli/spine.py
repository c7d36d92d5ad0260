"""`scrtui simulator`: the bundled MHS adaptor + Spine simulator (demos, tests, benchmarks)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from typing import TYPE_CHECKING

from scrtui.cli.common import EXIT_OK, EXIT_REFUSED, CliError, Subcommands, open_context
from scrtui.cli.simulator_pds import add_pds_arguments, pds_config
from scrtui.domain import nhs_number
from scrtui.settings import is_loopback_host

if TYPE_CHECKING:  # aiohttp and the simulator load when it runs (cli/common.py)
    from scrtui.standins.simulator import SimulatorConfig

# How often the child checks that the process that started it is still there.
_PARENT_POLL_S = 0.5


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a share from 0 to 1")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is negative")
    return value


def _nhs_numbers(text: str) -> set[str]:
    numbers = {nhs_number.normalise(part) for part in text.split(",") if part.strip()}
    bad = sorted(n for n in numbers if not nhs_number.is_valid(n))
    if bad:
        raise argparse.ArgumentTypeError(f"not valid NHS numbers: {', '.join(bad)}")
    return numbers


def register(subparsers: Subcommands) -> None:
    parser = subparsers.add_parser(
        "simulator",
        help="run the MHS adaptor + Spine simulator",
        description="Serve a simulated MHS adaptor (outbound API) and Spine on HOST:PORT. "
        "Prints one line 'scrtui simulator listening on URL' when ready. "
        "Fault settings can be changed while it runs with POST /control; see docs/spine.md.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one")
    parser.add_argument(
        "--public", action="store_true", help="allow a non-loopback --host (reachable by others)"
    )
    parser.add_argument("--latency-ms", type=_non_negative, default=0, metavar="L")
    parser.add_argument("--error-500-share", type=_share, default=0, metavar="F")
    parser.add_argument("--reset-share", type=_share, default=0, metavar="F")
    parser.add_argument("--slow-share", type=_share, default=0, metavar="F")
    parser.add_argument("--slow-seconds", type=_non_negative, default=60, metavar="S")
    parser.add_argument(
        "--reject", type=_nhs_numbers, default=set(), metavar="NHS,NHS",
        help="NHS numbers the Spine refuses (AE, PSIS-30418)",
    )  # fmt: skip
    parser.add_argument(
        "--outage", action="store_true",
        help="start with the Spine unreachable: 500 'Error making outbound request' (health 200)",
    )  # fmt: skip
    parser.add_argument(
        "--outage-503", action="store_true",
        help="start in the old simulator's outage instead: 503, and /healthcheck 503",
    )  # fmt: skip
    parser.add_argument(
        "--route-error", action="store_true",
        help="every message 500 'Error obtaining outbound URL' (the adaptor's route lookup fails)",
    )  # fmt: skip
    parser.add_argument("--error-429-share", type=_share, default=0, metavar="F")
    parser.add_argument(
        "--bad-ack-share", type=_share, default=0, metavar="F",
        help="share of 200 answers whose acknowledgement names another message id",
    )  # fmt: skip
    parser.add_argument(
        "--retry-after", type=int, default=None, metavar="S",
        help="send Retry-After: S with 429, 500 and 503 answers",
    )  # fmt: skip
    parser.add_argument(
        "--too-large", type=_nhs_numbers, default=set(), metavar="NHS,NHS",
        help="NHS numbers whose summary the adaptor refuses as too large (400)",
    )  # fmt: skip
    parser.add_argument(
        "--duplicate-id-ae", action="store_true",
        help="answer a resend of an accepted message id with AE 401 (duplicate message id)",
    )  # fmt: skip
    parser.add_argument(
        "--unavailable-share", type=_share, default=0, metavar="F",
        help="share of messages answered AE 502 (Spine service not available)",
    )  # fmt: skip
    parser.add_argument("--seed", type=int, default=None, help="seed for the fault dice")
    add_pds_arguments(parser, _share, _non_negative)
    parser.add_argument(
        "--queue-url", action="append", default=[], metavar="AMQP_URL",
        help="asynchronous mode: publish acknowledgements to this AMQP 1.0 broker (repeatable)",
    )  # fmt: skip
    parser.add_argument("--queue-name", default="inbound", help="the inbound queue's name")
    parser.add_argument("--late-ack-share", type=_share, default=0, metavar="F")
    parser.add_argument("--late-ack-seconds", type=_non_negative, default=0, metavar="S")
    parser.add_argument("--duplicate-ack-share", type=_share, default=0, metavar="F")
    parser.add_argument("--out-of-order-share", type=_share, default=0, metavar="F")
    parser.add_argument("--foreign-share", type=_share, default=0, metavar="F")
    # Internal: set by start_simulator_process so the child dies with its parent.
    parser.add_argument("--parent-pid", type=int, default=None, help=argparse.SUPPRESS)
    parser.set_defaults(func=run_simulator)


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    from scrtui.standins.simulator import SimulatorConfig

    return SimulatorConfig(
        latency_ms=args.latency_ms,
        error_500_share=args.error_500_share,
        reset_share=args.reset_share,
        slow_share=args.slow_share,
        slow_seconds=args.slow_seconds,
        reject_nhs_numbers=set(args.reject),
        outage=args.outage,
        outage_503=args.outage_503,
        route_error=args.route_error,
        seed=args.seed,
        error_429_share=args.error_429_share,
        bad_ack_share=args.bad_ack_share,
        retry_after=args.retry_after,
        too_large_nhs_numbers=set(args.too_large),
        duplicate_id_ae=args.duplicate_id_ae,
        unavailable_share=args.unavailable_share,
        **pds_config(args),
        late_ack_share=args.late_ack_share,
        late_ack_seconds=args.late_ack_seconds,
        duplicate_ack_share=args.duplicate_ack_share,
        out_of_order_share=args.out_of_order_share,
        foreign_share=args.foreign_share,
    )


def run_simulator(args: argparse.Namespace) -> int:
    if not args.public and not is_loopback_host(args.host):
        raise CliError(
            f"refusing to listen on {args.host}: it is not a loopback address, so other machines "
            "could reach the simulator; pass --public if that is what you want",
            EXIT_REFUSED,
        )
    context = open_context(args, with_db=False)
    if args.pds_practice is None and context.home.db_path.exists():
        args.pds_practice = str(context.home.db_path)  # PDS holds the practice's patients
    # aiohttp reports through stdlib logging; send it to a file, never the terminal.
    handler = logging.FileHandler(context.home.log_dir / "simulator.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    for name in ("aiohttp", "asyncio"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).propagate = False
    from scrtui import eventloop

    eventloop.run(_serve(args))
    return EXIT_OK


async def _watch_parent(parent_pid: int, stop: asyncio.Event) -> None:
    """Orphaned (re-parented) means the starter died: stop rather than linger."""
    while not stop.is_set():
        if os.getppid() != parent_pid:
            stop.set()
            return
        await asyncio.sleep(_PARENT_POLL_S)


async def _serve(args: argparse.Namespace) -> None:
    from aiohttp import web

    from scrtui import logs
    from scrtui.standins.simulator import READY_PREFIX, create_app, url_for

    log = logs.get("scrtui.simulator")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        loop.add_signal_handler(signum, stop.set)
    app = create_app(config_from_args(args), args.queue_url or None, args.queue_name)
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, handler_cancellation=True, shutdown_timeout=2
    )
    await runner.setup()
    watcher = None
    try:
        site = web.TCPSite(runner, args.host, args.port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            message = f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
            raise CliError(message) from None
        url = url_for(args.host, runner.addresses[0][1])
        log.info("simulator_started", url=url, config=str(config_from_args(args)))
        print(f"{READY_PREFIX}{url}", flush=True)
        if args.parent_pid is not None:
            watcher = asyncio.create_task(_watch_parent(args.parent_pid, stop))
        await stop.wait()
    finally:
        if watcher is not None:
            watcher.cancel()
        await runner.cleanup()
        log.info("simulator_stopped")
        sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    """`python -m scrtui.cli.spine simulator ...`: the same command without the other commands.

    start_simulator_process uses this entry so that a child simulator depends on nothing but
    the spine package: an import problem in an unrelated command module cannot stop it.
    """
    os.umask(0o077)
    parser = argparse.ArgumentParser(prog="scrtui")
    parser.add_argument("--home", metavar="DIR", help="data directory")
    register(parser.add_subparsers(dest="command", metavar="COMMAND", required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"scrtui: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
