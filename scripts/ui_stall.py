"""The measuring half of scripts/ui-stall: python scripts/ui_stall.py SEEDED_HOME.

Drives the app by keys and waits on what the screen shows, so it measures the same thing
whether the services answer at once or from a worker thread.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Input, Static

from scrtui.paths import Home
from scrtui.settings import load, with_changes
from scrtui.ui.app import ScrApp
from scrtui.ui.screens.bulk import BulkTransmissionScreen
from scrtui.ui.screens.front import FrontScreen
from scrtui.ui.screens.groups import GroupsScreen
from scrtui.ui.screens.reporter import ReporterScreen
from scrtui.ui.screens.settings import SettingsScreen
from scrtui.ui.widgets.patient_table import PatientTable
from scrtui.wiring import create_services

TICK = 0.010


class Ticker:
    """Wakes every 10 ms; the lateness of each wake-up is how long the loop was busy."""

    def __init__(self) -> None:
        self.worst = 0.0

    async def run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            self.worst = max(self.worst, time.perf_counter() - before - TICK)


def text(app: ScrApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


def on(app: ScrApp, kind: type) -> bool:
    return isinstance(app.screen, kind) and app.screen.is_mounted


async def until(pilot, condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await pilot.pause(0.01)


def bulk_loaded(app: ScrApp) -> bool:
    return on(app, BulkTransmissionScreen) and "Status" in text(app, "#bulk-status")


def groups_loaded(app: ScrApp) -> bool:
    return on(app, GroupsScreen) and bool(app.screen.groups)  # type: ignore[attr-defined]


def saved(app: ScrApp) -> bool:
    return on(app, SettingsScreen) and text(app, "#settings-saved").startswith("Saved")


def report_loaded(app: ScrApp) -> bool:
    if not on(app, ReporterScreen):
        return False
    table = app.screen.query_one(PatientTable)
    info = text(app, "#report-info")
    return bool(info) and not table.view_pending and not table.loading_page and "..." not in info


async def measure(home: Path) -> None:
    settings = with_changes(load(home / "scrtui.toml"), card_backend="simulated")
    services = create_services(Home(home), settings, card="simulated")
    login = await services.login("1234")
    assert login.ok, login.message
    app = ScrApp(services, environ={"TERM": "xterm-256color"})
    ticker = Ticker()
    results: list[tuple[str, float, float]] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: on(app, FrontScreen), "front screen")
        task = asyncio.create_task(ticker.run())

        async def phase(name: str, keys: list[str], done: Callable[[], bool]) -> None:
            await pilot.pause(0.2)
            ticker.worst = 0.0
            start = time.perf_counter()
            await pilot.press(*keys)
            await until(pilot, done, name)
            results.append((name, time.perf_counter() - start, ticker.worst))

        async def back() -> None:
            while not on(app, FrontScreen):
                await pilot.press("escape")
                await pilot.pause(0.05)

        await pilot.pause(0.5)  # the app settles first
        idle_start = time.perf_counter()
        await phase("front screen, idle 3 s", [], lambda: time.perf_counter() - idle_start > 3)
        await phase("Bulk Transmission (overview)", ["g"], lambda: bulk_loaded(app))
        await back()
        await phase("Patient Groups", ["p"], lambda: groups_loaded(app))
        # Reloads redo the reads without building a screen (the opening phases include
        # Textual's own compose and layout, which no thread can take off the loop).
        app.screen.groups = []  # type: ignore[attr-defined]
        await phase("Patient Groups reload (^R)", ["ctrl+r"], lambda: groups_loaded(app))
        await back()
        await pilot.press("s")
        await until(pilot, lambda: on(app, SettingsScreen), "settings")
        app.screen.query_one("#concurrency", Input).focus()
        await pilot.press("ctrl+u")
        await phase("Settings save", ["1", "6", "f2"], lambda: saved(app))
        await back()
        await phase("SCR Reporter (first page)", ["r"], lambda: report_loaded(app))
        await phase("SCR Reporter reload (^R)", ["ctrl+r"], lambda: report_loaded(app))
        await back()
        task.cancel()
    services.close()
    print(f"{'phase':32} {'took':>9} {'longest stall':>14}")
    for name, took, worst in results:
        print(f"{name:32} {took * 1000:6.0f} ms {worst * 1000:11.1f} ms")
    print(f"longest UI stall: {max(w for _n, _t, w in results) * 1000:.1f} ms")


if __name__ == "__main__":
    asyncio.run(measure(Path(sys.argv[1])))
