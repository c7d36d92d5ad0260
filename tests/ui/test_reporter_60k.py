"""The SCR Reporter on a 60,000-patient practice (seeded by the console script): how long it
takes to open, to switch to all patients, to search and to sort by reason, and how long the
UI loop was held up meanwhile. Printed, not asserted: the figures depend on the machine.
A search's time includes the 250 ms pause the reporter waits for after the last key."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from scrtui.paths import Home
from scrtui.settings import load, with_changes
from scrtui.store.db import close_database
from scrtui.ui.modals.login import PasscodeModal
from scrtui.ui.screens.front import FrontScreen
from scrtui.ui.screens.reporter import ReporterScreen
from scrtui.ui.widgets.patient_table import PAGE, PatientTable
from scrtui.wiring import create_services

from ..conftest import run_scrtui
from .conftest import make_app, wait_for

PATIENTS = 60_000

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def home_60k(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    home = tmp_path_factory.mktemp("reporter-60k") / "home"
    started = time.perf_counter()
    done = run_scrtui(home, "seed", "--patients", str(PATIENTS))
    assert done.returncode == 0, done.stderr
    return home, time.perf_counter() - started


class LoopWatch:
    """The longest gap between ticks of a 10 ms timer: how long the UI loop was blocked."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.worst = 0.0

    def tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, now - self.last)
        self.last = now

    def reset(self) -> None:
        self.last = time.perf_counter()
        self.worst = 0.0


async def timed(pilot, watch: LoopWatch, condition: Callable[[], bool], *keys: str) -> float:
    watch.reset()
    started = time.perf_counter()
    await pilot.press(*keys)
    await wait_for(pilot, condition, timeout=60)
    return time.perf_counter() - started


async def test_reporter_on_60000_patients(home_60k: tuple[Path, float]) -> None:
    home, seed_seconds = home_60k
    settings = with_changes(load(home / "scrtui.toml"), card_backend="simulated")
    services = create_services(Home(home), settings, card="simulated")
    figures: list[tuple[str, float, float]] = []
    try:
        app = make_app(services, clock=datetime.now)
        async with app.run_test() as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, PasscodeModal))
            await wait_for(pilot, lambda: bool(app.screen.query("#passcode")))
            await pilot.press(*"1234", "enter")  # patient data needs a card session
            await wait_for(pilot, lambda: isinstance(app.screen, FrontScreen))
            await wait_for(pilot, lambda: services.session.author() is not None, what="login")
            watch = LoopWatch()
            app.set_interval(0.01, watch.tick)

            def ready(bucket: str, search: str = "", order: str = "nhs") -> Callable[[], bool]:
                def check() -> bool:
                    screen = app.screen
                    if not isinstance(screen, ReporterScreen):
                        return False
                    table = screen.query_one(PatientTable)
                    return (
                        (screen.bucket, screen.search, screen.order) == (bucket, search, order)
                        and not table.view_pending
                        and not table.loading_page
                    )

                return check

            def table() -> PatientTable:
                return app.screen.query_one(PatientTable)

            seconds = await timed(pilot, watch, ready("failed"), "r")
            figures.append(("open (Failed, empty before any run)", seconds, watch.worst))

            seconds = await timed(pilot, watch, ready("unprocessed"), "f8")
            assert table().total == PATIENTS and len(table().rows_loaded) == PAGE
            figures.append((f"Unprocessed: count + first {PAGE} of 60,000", seconds, watch.worst))

            seconds = await timed(pilot, watch, ready("all"), "f12")
            figures.append(("All patients: count + first page", seconds, watch.worst))

            seconds = await timed(pilot, watch, lambda: len(table().rows_loaded) == 2 * PAGE, "end")
            figures.append(("End: the next page", seconds, watch.worst))

            seconds = await timed(pilot, watch, ready("all", order="reason"), "ctrl+o")
            figures.append(("sort by reason (60,000 rows)", seconds, watch.worst))

            await pilot.press("ctrl+o", "ctrl+o")  # back to NHS number order
            await wait_for(pilot, ready("all"), timeout=60)
            await pilot.press("slash", *"smit")  # typed; the last key is timed
            seconds = await timed(pilot, watch, ready("all", "smith"), "h")
            found = table().total
            figures.append(
                (f'search "smith": last key to results ({found:,} found)', seconds, watch.worst)
            )
            await pilot.press("space", "9", "4")
            seconds = await timed(pilot, watch, ready("all", "smith 943"), "3")
            figures.append(('then " 943" (NHS number digits): last key', seconds, watch.worst))
            assert 0 < table().total <= found
    finally:
        services.close()
        close_database()
    lines = [f"SCR Reporter on {PATIENTS:,} patients (seeded in {seed_seconds:.1f} s):"]
    lines += [
        f"  {label:<52} {seconds * 1000:7.0f} ms   UI loop blocked at most {worst * 1000:4.0f} ms"
        for label, seconds, worst in figures
    ]
    print("\n" + "\n".join(lines))
