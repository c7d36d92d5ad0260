"""Engine fixtures: a seeded practice on a real SQLite file, the real simulator over loopback,
and the simulated card session (the real-pcscd card tests are in test_engine_pcsc.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from scrtui import logs
from scrtui.paths import Home
from scrtui.settings import Settings, with_changes
from scrtui.store.db import close_database, open_database
from scrtui.store.seed import seed_practice
from scrtui.wiring import AppServices, create_services
from tests.conftest import patience


class FakeClock:
    """A wall clock the test moves by hand (schedules, session expiry)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _stands_for_a_clock(fake: FakeClock) -> Callable[[], datetime]:
    """Never called: mypy (tests/test_types.py) checks here that the fake is the clock the
    engine and the card session take (UploadEngine, CardSession: `clock`)."""
    return fake


async def wait_for(
    predicate: Callable[[], bool], timeout: float = 20.0, what: str = "condition"
) -> None:
    deadline = asyncio.get_running_loop().time() + patience(timeout)
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


@dataclass
class Sim:
    url: str
    http: aiohttp.ClientSession

    async def control(self, **changes: object) -> None:
        async with self.http.post(self.url + "control", json=changes) as response:
            assert response.status == 200, await response.text()

    async def stats(self) -> dict[str, Any]:
        async with self.http.get(self.url + "stats") as response:
            stats: dict[str, Any] = await response.json()
            return stats

    async def accepted(self) -> dict[str, list[dict[str, str | None]]]:
        """Every accepted summary by NHS number: message_id, replaces, created."""
        async with self.http.get(self.url + "accepted") as response:
            accepted: dict[str, list[dict[str, str | None]]] = await response.json()
            return accepted


def fast_settings(url: str, **extra: object) -> Settings:
    values: dict[str, object] = {
        "mhs_url": url,
        "card_backend": "simulated",
        "concurrency": 8,
        # An answer from the loopback simulator is quick, but on a loaded machine (the event
        # loop shared with the test) it may take seconds: a timeout there is not the point.
        "total_timeout": patience(1.0),
        "connect_timeout": patience(1.0),
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "max_attempts": 10,
        # An outage's probes every few hundredths of a second, not every few minutes.
        "outage_probe_first": 0.02,
        "outage_probe_max": 0.2,
    }
    return with_changes(Settings(), **{**values, **extra})


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    h = Home(tmp_path / "home")
    h.ensure()
    logs.configure(h)
    open_database(h.db_path)
    yield h
    close_database()


@pytest.fixture
def seeded(home: Home) -> Home:
    seed_practice(Settings(), 300, seed=7)
    return home


@pytest.fixture
async def sim(home: Home) -> AsyncIterator[Sim]:
    from scrtui.standins.simulator import SimulatorConfig, running_simulator

    # PDS holds the practice's patients (read at its first query), as the child simulator does.
    config = SimulatorConfig(pds_practice_db=str(home.db_path))
    async with running_simulator(config) as running, aiohttp.ClientSession() as http:
        yield Sim(running.url, http)


async def logged_in(
    home: Home, settings: Settings, clock: Callable[[], datetime] = datetime.now
) -> AppServices:
    services = create_services(home, settings, card="simulated", clock=clock)
    await wait_for(lambda: services.card_view().state.name == "INSERTED", what="card")
    result = await services.login("1234")
    assert result.ok, result.message
    return services
