"""The smartcard session's 10-hour expiry stops an upload run by the background upload
process's code (scrtui/remote/host.py), as a window sees it on the socket: the real engine,
card session (the simulated card), simulator and socket, in this process so that the clock
can be moved on."""

from __future__ import annotations

import asyncio
from datetime import datetime

from scrtui.cli.progress import exit_code
from scrtui.domain.progress import StopReason
from scrtui.domain.records import Mode
from scrtui.domain.schedule import Schedule
from scrtui.paths import Home
from scrtui.remote import host, wire
from scrtui.remote.client import Link
from scrtui.remote.files import RunFiles
from scrtui.services import UploadRequest
from scrtui.settings import load
from scrtui.store.db import close_database
from scrtui.wiring import create_services
from tests.card.conftest import FakeClock
from tests.conftest import patience
from tests.remote.conftest import Practice


async def _until(condition) -> None:
    while not condition():
        await asyncio.sleep(0.02)


async def test_the_ten_hour_expiry_stops_the_background_upload(practice: Practice) -> None:
    clock = FakeClock(datetime.now())
    services = create_services(
        Home(practice.home), load(practice.home / "scrtui.toml"), card="simulated", clock=clock
    )
    files = RunFiles(practice.home)
    files.claim()
    request = UploadRequest(mode=Mode.RUN, schedule=Schedule())
    hosting = host.host(services, request, files, "test window", exit_code=exit_code)
    running = asyncio.create_task(hosting)
    link = None
    try:
        while link is None:
            try:
                link = await Link.open(files, "window")
            except OSError:
                await asyncio.sleep(0.05)
        await _until(lambda: link.state["card"]["state"] == "INSERTED")
        assert (await link.request({"t": "login", "passcode": "1234"}))["ok"] is True
        await _until(lambda: wire.snapshot_in(link.state["snapshot"]).checked > 0)
        clock.advance(hours=10, minutes=1)
        await asyncio.wait_for(
            link.closed.wait(), patience(120)
        )  # only against a hang: not a timing
        assert link.ending is not None and link.ending.snapshot is not None
        assert link.ending.snapshot.reason == StopReason.SESSION_EXPIRED.value
        assert await running == 3  # stopped early
    finally:
        if link is not None:
            await link.close()
        if not running.done():
            running.cancel()
        services.close()
        files.release()
        close_database()
