"""Asynchronous mode fixtures: a real RabbitMQ (AMQP 1.0 plugin) started by the tests as a child
process on free loopback ports, the real simulator publishing to it, a practice on SQLite."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from scrtui.paths import Home
from scrtui.settings import Settings
from scrtui.standins import broker as brokers
from scrtui.standins.broker import Broker
from scrtui.standins.simulator import SimulatorConfig, running_simulator
from tests.engine.conftest import Sim, fast_settings, home, seeded  # noqa: F401  (fixtures)


@contextlib.contextmanager
def private_broker(parent: Path) -> Iterator[Broker]:
    if not brokers.installed():
        pytest.skip(brokers.INSTALL_HINT)
    running = brokers.start_broker(parent)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """One broker for the session (it takes about 7 s to start); each test has its own queue."""
    with private_broker(tmp_path_factory.mktemp("broker")) as running:
        yield running


@pytest.fixture
def queue_name() -> str:
    return f"inbound-{uuid.uuid4().hex[:8]}"


@dataclass
class AsyncSim(Sim):
    queue_url: str
    queue_name: str

    def settings(self, **extra: object) -> Settings:
        values: dict[str, object] = {
            "wait_for_response": False,
            "queue_brokers": self.queue_url,
            "queue_name": self.queue_name,
            "queue_user": "guest",
            "queue_password": "guest",
            "ack_timeout": 30.0,
        }
        return fast_settings(self.url, **{**values, **extra})


async def async_sim(
    broker_url: str,
    queue_name: str,
    config: SimulatorConfig | None = None,
    publish: bool = True,
    practice: Path | None = None,
) -> AsyncIterator[AsyncSim]:
    config = config or SimulatorConfig()
    if practice is not None:  # PDS holds the practice's patients (the Initial Upload checks PDS)
        config.pds_practice_db = str(practice)
    async with (
        running_simulator(
            config, queue_urls=[broker_url] if publish else None, queue_name=queue_name
        ) as running,
        aiohttp.ClientSession() as http,
    ):
        yield AsyncSim(running.url, http, broker_url, queue_name)


@pytest.fixture
async def asim(
    broker: Broker, queue_name: str, request: pytest.FixtureRequest
) -> AsyncIterator[AsyncSim]:
    practice: Home = request.getfixturevalue("home")  # the engine tests' practice home
    async for sim in async_sim(broker.url, queue_name, practice=practice.db_path):
        yield sim
