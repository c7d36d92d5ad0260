"""A disk that fills up during an upload: a real, small tmpfs holds the practice's home (the
database, its WAL and the logs), and a file written beside it takes the last free byte.

Mounting needs root (as ./run test runs); elsewhere the test says so and skips."""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import date
from pathlib import Path

import aiohttp
import pytest

from scrtui import logs
from scrtui.domain.progress import StopReason
from scrtui.domain.records import Bucket, Mode
from scrtui.paths import Home
from scrtui.settings import Settings
from scrtui.store.db import close_database, open_database
from scrtui.store.seed import seed_practice
from tests.engine.conftest import Sim, fast_settings, logged_in, wait_for
from tests.engine.test_engine import expected_split, run

DISK_MB = 24


@contextlib.contextmanager
def small_tmpfs(mount: Path, megabytes: float) -> Iterator[Path]:
    """A real tmpfs of that size at `mount` (root only: skips otherwise), unmounted after."""
    mount.mkdir(exist_ok=True)
    size = f"{int(megabytes * 1024)}k"
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (root needed): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "disk", DISK_MB) as mount:
        yield mount


@pytest.fixture
async def full_disk_home(small_disk: Path) -> AsyncIterator[Home]:
    home = Home(small_disk / "home")
    home.ensure()
    logs.configure(home)
    open_database(home.db_path)
    seed_practice(Settings(), 300, seed=7)
    yield home
    close_database()


def fill(folder: Path) -> Path:
    """A file that takes every free byte of folder's disk."""
    filler = folder / "filler"
    chunk = b"\0" * 65536
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(chunk)
        except OSError:
            pass
        try:
            while True:
                handle.write(b"\0")
        except OSError:
            pass
    return filler


async def test_a_full_disk_stops_the_run_saying_so_and_resume_finishes_it(
    full_disk_home: Home, small_disk: Path
):
    from scrtui.standins.simulator import SimulatorConfig, running_simulator

    config = SimulatorConfig(pds_practice_db=str(full_disk_home.db_path), latency_ms=5)
    async with running_simulator(config) as running, aiohttp.ClientSession() as http:
        sim = Sim(running.url, http)
        settings = fast_settings(sim.url, concurrency=4)
        services = await logged_in(full_disk_home, settings)
        try:
            task = asyncio.create_task(services.run_upload(run(Mode.RUN)))
            await wait_for(lambda: services.snapshot().counts[Bucket.SENT] >= 20, what="sent")
            filler = fill(small_disk)
            final = await task
            assert final.reason == StopReason.FATAL.value
            message = final.fatal_message
            assert "disk is full" in message and str(full_disk_home.root) in message, message
            assert "Resume" in message and "cannot rollback" not in message
            filler.unlink()
            resumed = await services.run_upload(run(Mode.RESUME))
        finally:
            services.close()
        assert resumed.reason == StopReason.COMPLETED.value, resumed.fatal_message
        eligible, _ = expected_split(date.today())
        accepted = await sim.accepted()
        assert set(accepted) == eligible
        assert all(len(ids) == 1 for ids in accepted.values())  # nobody sent twice
    assert os.path.exists(full_disk_home.db_path)
