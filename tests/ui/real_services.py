"""The real Services (scrtui.wiring) on a temporary practice of 300 seeded patients, talking
to the bundled MHS simulator on this event loop, with the simulated smartcard logged in."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from scrtui.paths import Home
from scrtui.settings import load, with_changes
from scrtui.standins.simulator import SimulatorConfig, running_simulator
from scrtui.store.db import close_database
from scrtui.wiring import AppServices, create_services

from ..conftest import run_scrtui

PATIENTS = 300
PASSCODE = "1234"  # scrtui.card.simulated.DEMO_PASSCODE


def seed_template(root: Path) -> Path:
    """A seeded home to copy from (seeding once per session through the console script)."""
    home = root / "template"
    done = run_scrtui(home, "seed", "--patients", str(PATIENTS))
    if done.returncode != 0:
        raise RuntimeError(f"seed failed: {done.stderr}")
    return home


@asynccontextmanager
async def real_services(
    template: Path,
    root: Path,
    *,
    logged_in: bool = True,
    simulator: SimulatorConfig | None = None,
    latency_ms: float = 0,
    mhs_path: str = "",
    **settings_changes: Any,
) -> AsyncIterator[AppServices]:
    home = root / "home"
    shutil.copytree(template, home)
    config = simulator or SimulatorConfig(latency_ms=latency_ms)
    config.pds_practice_db = config.pds_practice_db or str(home / "scrtui.db")
    async with running_simulator(config) as running:
        settings = with_changes(
            load(home / "scrtui.toml"),
            mhs_url=running.url + mhs_path,  # a path the adaptor does not serve: 404
            card_backend="simulated",
            **settings_changes,
        )
        services = create_services(Home(home), settings, card="simulated")
        try:
            if logged_in:
                result = await services.login(PASSCODE)
                assert result.ok, result.message
                if len(result.roles) > 1:
                    services.choose_role(result.roles[0].role_profile_id)
            yield services
        finally:
            engine_stop = services.engine
            if engine_stop is not None:
                engine_stop.stop()
            services.close()
            close_database()
