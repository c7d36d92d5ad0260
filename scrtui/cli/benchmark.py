"""End-to-end benchmark: the headless engine against the simulator in a second process.

Prints figures; asserts nothing. The raw capacity of the same machine (a plain aiohttp client
posting one prebuilt body at the same concurrency) is measured in the same run, so the ratio
holds even on a noisy machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from scrtui import eventloop, logs
from scrtui.cli.broker import async_settings, private_broker
from scrtui.domain.progress import RunStatus
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.schedule import Schedule
from scrtui.domain.upload_request import UploadRequest
from scrtui.domain.uploads import UploadId
from scrtui.engine.engine import BATCH
from scrtui.paths import Home
from scrtui.settings import Settings, with_changes
from scrtui.store.db import open_database
from scrtui.store.models import database

if TYPE_CHECKING:  # the app is imported only by the --ui run: the others need no Textual
    from scrtui.ui.app import ScrApp

RAW_REQUESTS = 20_000


def _seed(home: Path, patients: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "scrtui", "--home", str(home), "seed", "--patients", str(patients)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _engine_run(home: Home, settings: Settings) -> dict[str, float]:
    from scrtui.wiring import create_services

    services = create_services(home, settings, card="simulated")
    try:
        result = await services.login("1234")
        if not result.ok:
            raise RuntimeError(result.message)
        if result.roles:
            services.choose_role(result.roles[0].role_profile_id)
        request = UploadRequest(mode=Mode.RUN, schedule=Schedule())
        snapshots = 0

        async def watch() -> None:
            nonlocal snapshots
            while True:
                services.snapshot()
                snapshots += 1
                await asyncio.sleep(0.1)

        watcher = asyncio.create_task(watch())
        started = time.perf_counter()
        final = await services.run_upload(request)
        elapsed = time.perf_counter() - started
        watcher.cancel()
        assert final.status is RunStatus.STOPPED, final
        engine = services.engine
        assert engine is not None
        latencies = [
            r[0]
            for r in database.obj.execute_sql(
                "SELECT latency_ms FROM attempt WHERE latency_ms IS NOT NULL"
            )
        ]
        return {
            "checked": final.checked,
            "sent": final.counts.get(Bucket.SENT, 0),
            "elapsed": elapsed,
            "rate": final.checked / elapsed if elapsed else 0.0,
            "p50": _percentile(latencies, 0.5),
            "p95": _percentile(latencies, 0.95),
            "max_flush_ms": engine.max_flush_ms,
            "snapshots": snapshots,
            "mark_commits": engine.mark_commits,
            "mark_seconds": engine.mark_seconds,
            **_durable_cost(),
        }
    finally:
        services.close()


def _durable_cost(commits: int = 100) -> dict[str, float]:
    """One batch's message-id commit, durable (synchronous=FULL) and not (NORMAL), in ms."""
    from scrtui.store.upload_state import mark_sending

    rows = list(
        database.obj.execute_sql(
            "SELECT patient_id, message_id FROM patient_upload WHERE message_id IS NOT NULL "
            "LIMIT ?",
            [BATCH],
        )
    )
    figures = {}
    for name, sync in (("full_ms", True), ("normal_ms", False)):
        started = time.perf_counter()
        for _ in range(commits):
            mark_sending(rows, sync=sync)
        figures[name] = (time.perf_counter() - started) * 1000 / commits
    return figures


async def _raw_capacity(url: str, concurrency: int, requests: int) -> float:
    """A plain aiohttp client posting one prebuilt body: this machine's ceiling."""
    import aiohttp
    import orjson

    from scrtui.domain.records import Author
    from scrtui.spine.message import build_gp_summary, new_message_id
    from scrtui.store.queries import load_records

    record = next(iter(load_records(range(1, 50)).values()))
    author = Author("555000000001", "Demo Administrator", "555000000011", "R0001")
    now = datetime.now()
    message_id = new_message_id()
    xml = build_gp_summary(
        record,
        author,
        message_id=message_id,
        sending_asid="200000000001",
        spine_asid="227319907548",
        now=now,
        today=now.date(),
    )
    body = orjson.dumps({"payload": xml})
    headers = {
        "Content-Type": "application/json",
        "Interaction-Id": "REPC_IN150016UK05",
        "wait-for-response": "true",
        "Message-Id": message_id,
    }
    remaining = requests

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            async with session.post(url, data=body, headers=headers) as response:
                await response.read()

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return requests / (time.perf_counter() - started)


async def _ui_run(home: Home, settings: Settings) -> dict[str, float]:
    """The same run with the app running headless at 80x24, a key pressed every 100 ms."""
    from textual.binding import Binding

    from scrtui.ui.app import ScrApp
    from scrtui.wiring import create_services

    pings: list[float] = []

    class BenchApp(ScrApp):
        BINDINGS = [*ScrApp.BINDINGS, Binding("f12", "bench_ping", show=False, priority=True)]

        def action_bench_ping(self) -> None:
            pings.append(time.perf_counter())

    services = create_services(home, settings, card="simulated")
    try:
        result = await services.login("1234")
        if not result.ok:
            raise RuntimeError(result.message)
        app = BenchApp(services)
        latencies: list[float] = []
        async with app.run_test(size=(80, 24)):
            cpu = time.process_time()
            started = time.perf_counter()
            app.start_upload(UploadRequest(mode=Mode.RUN, schedule=Schedule()))
            while app.upload_running:
                latency = await _press(app, pings)
                if latency is not None:
                    latencies.append(latency)
                await asyncio.sleep(0.1)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu
            final = services.snapshot()
        return {
            "elapsed": elapsed,
            "cpu": cpu,
            "rate": final.checked / elapsed if elapsed else 0.0,
            "p50": _percentile(latencies, 0.5),
            "p95": _percentile(latencies, 0.95),
            "max": max(latencies, default=0.0),
            "keys": len(latencies),
        }
    finally:
        services.close()


async def _press(app: ScrApp, pings: list[float]) -> float | None:
    """Send F12 the way a terminal does (through the driver) and time its handler, in ms."""
    from textual import events

    before = len(pings)
    key = events.Key("f12", None)
    key.set_sender(app)
    driver = app._driver
    assert driver is not None, "the app is running, so it has a driver"
    pressed = time.perf_counter()
    driver.send_message(key)
    deadline = pressed + 2.0
    while len(pings) == before and time.perf_counter() < deadline:
        await asyncio.sleep(0.001)
    return (pings[-1] - pressed) * 1000 if len(pings) > before else None


def _second_home(home: Home, template: Path, name: str = "with-ui") -> Home:
    """A copy of the freshly seeded practice, so both runs send the same patients."""
    second = Home(home.root / name)
    second.ensure()
    shutil.copyfile(template, second.db_path)
    open_database(second.db_path)
    return second


def _preview_seconds(settings: Settings) -> tuple[float, int]:
    """The go-live preview's local half (selection and rules, PDS off): seconds, patients."""
    from scrtui.engine.preview import PreviewRequest, decide_locally

    request = PreviewRequest(UploadId.INITIAL, Mode.RUN)
    started = time.perf_counter()
    decided = decide_locally(request, with_changes(settings, pds_sync=False), datetime.now(),
                             check_pds=False)  # fmt: skip
    return time.perf_counter() - started, len(decided.rows)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_bench(args: argparse.Namespace) -> int:
    from scrtui.standins.simulator import start_simulator_process

    with tempfile.TemporaryDirectory(prefix="scrtui-bench-") as tmp:
        home = Home(Path(tmp))
        home.ensure()
        logs.configure(home)
        seed_seconds = _seed(home.root, args.patients)
        sim_args = ["--latency-ms", str(args.latency_ms)] if args.latency_ms else []
        broker = private_broker(home.root) if args.async_mode else None
        if broker is not None:
            sim_args += ["--queue-url", broker.url]
        process, url = start_simulator_process(
            sim_args, env={**os.environ, "SCRTUI_HOME": str(home.root)}
        )
        try:
            template = home.root / "seeded.db"
            shutil.copyfile(home.db_path, template)
            open_database(home.db_path)
            settings = with_changes(
                Settings(), mhs_url=url, concurrency=args.concurrency, card_backend="simulated"
            )
            if broker is not None:
                settings = async_settings(settings, broker)
            preview = _preview_seconds(settings)  # before the run: everyone would be sent
            rss_before = _peak_rss_mb()
            cpu = time.process_time()
            figures = eventloop.run(_engine_run(home, settings))
            figures["cpu"] = time.process_time() - cpu
            peak = _peak_rss_mb()
            raw = eventloop.run(
                _raw_capacity(url, args.concurrency, min(RAW_REQUESTS, args.patients))
            )
            ui = None
            if args.ui:
                ui = eventloop.run(_ui_run(_second_home(home, template), settings))
            without_pds = None
            if args.without_pds:  # the same patients with the PDS step off: what it costs
                off = with_changes(settings, pds_sync=False)
                again = _second_home(home, template, "without-pds")
                without_pds = eventloop.run(_engine_run(again, off))
        finally:
            process.terminate()
            process.wait(timeout=10)
            if broker is not None:
                broker.stop()
    _print(args, figures, raw, seed_seconds, rss_before, peak)
    print(f"preview (Run, PDS off)   {preview[1]:,} patients decided in {preview[0]:.2f} s")
    if ui is not None:
        _print_ui(figures, ui)
    if without_pds is not None:
        _print_pds(figures, without_pds)
    return 0


def _print_ui(plain: dict[str, float], ui: dict[str, float]) -> None:
    # The same patients go through both runs: the extra CPU is the UI's.
    share = max(0.0, ui["cpu"] - plain["cpu"]) / ui["elapsed"] if ui["elapsed"] else 0.0
    print("with the app running headless (80x24):")
    print(f"  patients per second    {ui['rate']:,.0f} (without the UI {plain['rate']:,.0f})")
    print(f"  ratio with/without UI  {ui['rate'] / plain['rate'] if plain['rate'] else 0:.2f}")
    print(
        f"  UI share of a core     {share * 100:.1f} % (CPU {ui['cpu']:.1f} s with the UI, "
        f"{plain['cpu']:.1f} s without, for the same patients)"
    )
    print(
        f"  key to handler         p50 {ui['p50']:.1f} ms, p95 {ui['p95']:.1f} ms, "
        f"max {ui['max']:.1f} ms over {int(ui['keys'])} keys"
    )


def _print(
    args: argparse.Namespace,
    f: dict[str, float],
    raw: float,
    seed_seconds: float,
    rss_before: float,
    peak: float,
) -> None:
    rate = f["rate"]
    # Not Required patients need no message: ratios compare messages with requests.
    messages = f["sent"] / f["elapsed"] if f["elapsed"] else 0.0
    print(f"patients                 {args.patients:,} (seeded in {seed_seconds:.1f} s)")
    print(f"concurrency              {args.concurrency}")
    print(f"simulated latency        {args.latency_ms:g} ms")
    print(f"checked / sent           {int(f['checked']):,} / {int(f['sent']):,}")
    print(f"elapsed                  {f['elapsed']:.1f} s")
    print(f"patients per second      {rate:,.0f}")
    print(f"messages per second      {messages:,.0f}")
    print(f"average per patient      {1000 / rate if rate else 0:.3f} ms")
    if args.async_mode:
        print("mode                     asynchronous (202, acknowledgement from RabbitMQ)")
        print(f"send to ack p50 / p95    {f['p50']:.1f} / {f['p95']:.1f} ms")
    else:
        print(f"send latency p50 / p95   {f['p50']:.1f} / {f['p95']:.1f} ms")
    print(f"peak memory (RSS)        {peak:.0f} MB (before the run {rss_before:.0f} MB)")
    print(f"longest database flush   {f['max_flush_ms']:.1f} ms")
    share = f["mark_seconds"] / f["elapsed"] if f["elapsed"] else 0.0
    print(
        f"durable id commits       {int(f['mark_commits'])} in {f['mark_seconds']:.2f} s "
        f"({share * 100:.1f} % of the run; one a batch of up to {BATCH})"
    )
    print(
        f"one batch's id commit    {f['full_ms']:.2f} ms durable (synchronous=FULL) against "
        f"{f['normal_ms']:.2f} ms with NORMAL: +{f['full_ms'] - f['normal_ms']:.2f} ms a batch"
    )
    print(f"progress snapshots read  {int(f['snapshots'])}")
    print(f"raw client capacity      {raw:,.0f} requests/s")
    print(f"ratio to raw (messages)  {messages / raw if raw else 0:.2f}")
    if args.latency_ms:
        # Each patient costs two round trips: the PDS query, then the summary.
        ideal = args.concurrency / (2 * args.latency_ms / 1000)
        print(f"ideal rate (C / 2 x L)   {ideal:,.0f} patients/s (PDS query + summary each)")
        print(f"ratio to ideal (messages) {messages / ideal:.2f}")


def _print_pds(with_pds: dict[str, float], without: dict[str, float]) -> None:
    drop = without["rate"] - with_pds["rate"]
    share = drop / without["rate"] if without["rate"] else 0.0
    print("PDS synchronisation (the same patients, the PDS step off):")
    print(f"  patients per second    {with_pds['rate']:,.0f} with, {without['rate']:,.0f} without")
    print(f"  drop                   {drop:,.0f} patients/s ({share * 100:.0f} %)")
