"""`scrtui app` (the practice in the data directory) and `scrtui demo` (a demo practice)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from scrtui.cli.background import NO_UPLOAD, stop_background_upload
from scrtui.cli.broker import async_settings, private_broker
from scrtui.cli.common import EXIT_REFUSED, CliError, Context, Subcommands, open_context
from scrtui.cli.demo_settings import put_back
from scrtui.cli.simulator_pds import DEMO_PDS_KINDS, demo_pds_args
from scrtui.paths import resolve_home
from scrtui.settings import CARD_BACKENDS, Settings, SettingsError, with_changes

DEMO_PATIENTS = 5_000
DEMO_REJECTIONS = 3  # patients the demo's simulated Spine rejects, said on the front screen


def register(sub: Subcommands) -> None:
    app = sub.add_parser("app", help="open the full-screen app on this practice")
    app.add_argument("--card", choices=CARD_BACKENDS, help="card backend override")
    app.add_argument("--reader", metavar="NAME", help="card reader override")
    app.set_defaults(func=run_app_command)
    demo = sub.add_parser(
        "demo", help="open the app on a demo practice, the bundled simulator and a simulated card"
    )
    demo.add_argument(
        "--patients",
        type=int,
        default=DEMO_PATIENTS,
        metavar="N",
        help=f"seed a demo practice of N patients when its data directory is empty "
        f"(default {DEMO_PATIENTS:,})",
    )
    demo.add_argument(
        "--async", dest="async_mode", action="store_true",
        help="asynchronous mode: acknowledgements through a private RabbitMQ (docs/async-mode.md)",
    )  # fmt: skip
    demo.set_defaults(func=run_demo_command)
    attach = sub.add_parser("attach", help="open the app on the upload running in the background")
    attach.add_argument("--card", choices=CARD_BACKENDS, help="card backend override")
    attach.add_argument("--reader", metavar="NAME", help="card reader override")
    attach.set_defaults(func=run_attach_command)


def run_app_command(args: argparse.Namespace) -> int:
    ctx = _open_or_show(args)
    return _run(ctx, card=args.card, reader=args.reader)


def run_attach_command(args: argparse.Namespace) -> int:
    """`scrtui attach`: the app, straight to the upload an upload process runs (issue 25)."""
    from scrtui.remote.files import RunFiles

    ctx = _open_or_show(args)
    if RunFiles(ctx.home.root).holder() is None:
        raise CliError(f"{NO_UPLOAD}: `scrtui app` opens the app", EXIT_REFUSED)
    return _run(ctx, card=args.card, reader=args.reader, attach=True)


def _open_or_show(args: argparse.Namespace) -> Context:
    """open_context; in a terminal its refusal (a damaged database...) is first shown as the
    app's message screen, then printed and returned as exit code 2 as for any command."""
    try:
        return open_context(args)
    except CliError as exc:
        if sys.stdin.isatty() and sys.stdout.isatty():
            from scrtui.ui.problem import show_problem

            show_problem(str(exc))
        raise


def _run(
    ctx: Context, *, card: str | None = None, reader: str | None = None, attach: bool = False
) -> int:
    from scrtui.remote.window import WindowServices, as_window
    from scrtui.ui.app import run_app
    from scrtui.wiring import create_services

    # The window's services: an upload runs in a background process of its own (issue 25).
    services = as_window(
        create_services(ctx.home, ctx.settings, card=card, reader=reader, kind=WindowServices)
    )
    services.card_kind, services.reader = card, reader
    try:
        return run_app(services, attach=attach)
    finally:
        services.close()


def demo_home(args: argparse.Namespace) -> Path:
    """The demo never touches the default practice: --home, else SCRTUI_HOME, else its own
    "scrtui-demo" folder beside the default home."""
    if getattr(args, "home", None):
        return Path(args.home)
    if os.environ.get("SCRTUI_HOME"):
        return resolve_home(None)
    return resolve_home(None).parent / "scrtui-demo"


def demo_rejections(settings: Settings, count: int = DEMO_REJECTIONS) -> list[str]:
    """The first `count` patients (by id) the upload would send: the demo's simulated Spine
    rejects them (PSIS-30418), so a run ends with a few Failed to find, group and resend."""
    from datetime import date

    from scrtui.domain import eligibility
    from scrtui.store import queries

    chosen: list[str] = []
    for ids in queries.iter_patient_ids(batch=200):
        for record in queries.load_records(ids).values():
            decision = eligibility.decide(record, date.today(), settings.update_existing_after_days)
            if decision.eligible:
                chosen.append(record.nhs_number)
            if len(chosen) == count:
                return chosen
    return chosen


def run_demo_command(args: argparse.Namespace) -> int:
    from scrtui.standins.simulator import start_simulator_process
    from scrtui.store.queries import bucket_counts
    from scrtui.store.seed import seed_practice

    if args.patients < 1:
        raise CliError("--patients must be at least 1", EXIT_REFUSED)
    args.home = str(demo_home(args))
    ctx = _open_or_show(args)
    if sum(bucket_counts().values()) == 0:
        print(f"Seeding a demo practice of {args.patients} patients in {ctx.home.root} ...")
        seed_practice(ctx.settings, args.patients, seed=1)
    chosen = demo_rejections(ctx.settings, DEMO_REJECTIONS + len(DEMO_PDS_KINDS))
    rejected, pds_differ = chosen[:DEMO_REJECTIONS], chosen[DEMO_REJECTIONS:]
    sim_args = (["--reject", ",".join(rejected)] if rejected else []) + demo_pds_args(pds_differ)
    broker = private_broker(ctx.home.root) if args.async_mode else None
    if broker is not None:
        sim_args += ["--queue-url", broker.url]
    # The simulator logs into the demo's own home, never the real practice's.
    process, url = start_simulator_process(
        sim_args, env={**os.environ, "SCRTUI_HOME": str(ctx.home.root)}
    )
    before = ctx.settings
    try:
        try:
            ctx.settings = with_changes(
                ctx.settings, mhs_url=url, card_backend="simulated", wait_for_response=True
            )
            if broker is not None:
                ctx.settings = async_settings(ctx.settings, broker)
        except SettingsError as exc:
            raise CliError(str(exc), EXIT_REFUSED) from None
        # In memory only: the data directory's scrtui.toml keeps its real settings.
        os.environ.setdefault("SCRTUI_DEMO", "1")
        # Said on the front screen, so the Failed loop can be rehearsed knowingly.
        os.environ["SCRTUI_DEMO_REJECTS"] = str(len(rejected))
        os.environ["SCRTUI_DEMO_PDS"] = str(len(pds_differ))
        return _run(ctx, card="simulated")
    finally:
        put_back(ctx.home.settings_path, before, ctx.settings)
        # The simulator closes with the demo: a background upload left running is stopped
        # safely first (Resume continues it), rather than left to pause as an MHS outage.
        stop_background_upload(ctx.home)
        process.terminate()
        process.wait(timeout=10)
        if broker is not None:
            broker.stop()
