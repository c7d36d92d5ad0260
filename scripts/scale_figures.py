"""Timings on a large practice, printed (never asserted): python scripts/scale_figures.py HOME.

HOME is a practice home, e.g. one kept by `scrtui bench --patients 1000000 --no-pds --keep HOME`
(after a run, so the upload has a row for every patient). Prints, each as the median of five
with its ratio to the goal of issue 23:
- `scrtui status --json` as a user runs it (a new process: start-up included), goal 0.5 s;
- the SCR Reporter's bucket page as the screen opens it (the count and the first page of 200,
  through the same services the screen calls, in their worker thread), goal 0.3 s, for each
  bucket and each order.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from scrtui.domain.records import Bucket
from scrtui.paths import Home
from scrtui.settings import Settings, load
from scrtui.store.models import database
from scrtui.ui.widgets.patient_table import PAGE
from scrtui.wiring import create_services

STATUS_GOAL = 0.5
PAGE_GOAL = 0.3
TIMES = 5


def _median(run: Callable[[], object]) -> float:
    spent = []
    for _ in range(TIMES):
        started = time.perf_counter()
        run()
        spent.append(time.perf_counter() - started)
    return statistics.median(spent)


async def _amedian(run: Callable[[], Awaitable[object]]) -> float:
    spent = []
    for _ in range(TIMES):
        started = time.perf_counter()
        await run()
        spent.append(time.perf_counter() - started)
    return statistics.median(spent)


def _status(home: Path) -> float:
    command = [sys.executable, "-m", "scrtui", "--home", str(home), "status", "--json"]
    return _median(lambda: subprocess.run(command, check=True, capture_output=True))


async def _pages(home: Home) -> list[tuple[str, str, int, float]]:
    services = create_services(
        home,
        load(home.settings_path) if home.settings_path.exists() else Settings(),
        card="simulated",
    )
    figures = []
    try:
        for bucket in (None, *Bucket):
            for order in ("nhs", "reason", "name"):

                async def page(b: Bucket | None = bucket, o: str = order) -> int:
                    total = await services.report_count(b, "")
                    await services.report_page(b, "", o, 0, PAGE)
                    return total

                total = await page()
                name = "all" if bucket is None else bucket.value
                figures.append((name, order, total, await _amedian(page)))
        figures += await _searches(services)
    finally:
        services.close()
    return figures


async def _searches(services: Any) -> list[tuple[str, str, int, float]]:
    number, surname = database.obj.execute_sql(
        "SELECT nhs_number, surname FROM patient ORDER BY id LIMIT 1 OFFSET "
        "(SELECT COUNT(*) / 2 FROM patient)"
    ).fetchone()
    figures = []
    for term in (number, number[:6], surname[:3], "zzqxj"):
        for bucket in (None, Bucket.SENT):

            async def page(b: Bucket | None = bucket, t: str = term) -> int:
                total = await services.report_count(b, t)
                await services.report_page(b, t, "nhs", 0, PAGE)
                return total

            total = await page()
            name = f"{'all' if bucket is None else bucket.value} '{term}'"
            figures.append((name, "search", total, await _amedian(page)))
    return figures


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.split("\n\n")[0], file=sys.stderr)
        return 2
    home = Home(Path(argv[0]))
    status = _status(home.root)
    patients = _patients(home)
    print(f"practice                 {patients:,} patients ({home.root})")
    print(
        f"scrtui status --json     {status * 1000:.0f} ms (goal {STATUS_GOAL * 1000:.0f} ms: ",
        end="",
    )
    print(f"{status / STATUS_GOAL:.2f} of it)")
    print(f"reporter bucket page     count + first {PAGE} rows, median of {TIMES}:")
    worst = 0.0
    for name, order, total, seconds in asyncio.run(_pages(home)):
        worst = max(worst, seconds)
        print(f"  {name:<24} {order:<7} {total:>9,} rows  {seconds * 1000:7.1f} ms")
    ratio = worst / PAGE_GOAL
    print(f"  slowest {worst * 1000:.0f} ms (goal {PAGE_GOAL * 1000:.0f} ms: {ratio:.2f} of it)")
    return 0


def _patients(home: Home) -> int:
    from scrtui.store.db import close_database, open_database

    open_database(home.db_path)
    try:
        return int(database.obj.execute_sql("SELECT COUNT(*) FROM patient").fetchone()[0])
    finally:
        close_database()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
