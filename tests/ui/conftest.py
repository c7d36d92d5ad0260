"""Shared set-up for the UI tests: a fixed clock and terminal, no blinking cursor, and a helper
that waits for a condition instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from scrtui.services import Services
from scrtui.ui.app import ScrApp
from tests.conftest import patience

FIXED_NOW = datetime(2026, 5, 1, 9, 30)
XTERM = {"TERM": "xterm-256color"}
LINUX_CONSOLE = {"TERM": "linux"}


@pytest.fixture(autouse=True)
def _steady_cursor(monkeypatch: pytest.MonkeyPatch) -> None:
    # A blinking cursor makes screenshots differ from run to run.
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


def make_app(
    services: Services,
    *,
    environ: dict[str, str] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> ScrApp:
    """The app at a fixed time (the fake services) or real time (clock=datetime.now)."""
    return ScrApp(services, clock=clock or (lambda: FIXED_NOW), environ=environ or XTERM)


@pytest.fixture(scope="session")
def seeded_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from .real_services import seed_template

    return seed_template(tmp_path_factory.mktemp("ui-seed"))


async def wait_for(
    pilot: Pilot, condition: Callable[[], bool], *, timeout: float = 10.0, what: str = ""
) -> None:
    """Pump the app until `condition()` holds; fail after `timeout` seconds."""
    loop_time = pilot.app._loop.time if pilot.app._loop else None  # noqa: SLF001
    assert loop_time is not None
    deadline = loop_time() + patience(timeout)
    while not condition():
        if loop_time() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        await pilot.pause(0.02)


def screen_text(app: ScrApp) -> str:
    """The text of every Static on the screens in the stack (dialogs included)."""
    parts: list[str] = []
    for screen in app.screen_stack:
        for widget in screen.query(Static):
            parts.append(str(widget.content))
    return "\n".join(parts)
