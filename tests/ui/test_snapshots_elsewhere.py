"""Screenshots at 80x24 of an upload another process runs (issue 25): the prompt to open its
window when the app opens, the question when leaving the window of a background upload, the
running view of a watching window, and the prompt when the background process has gone."""

from __future__ import annotations

from scrtui.domain.records import Mode
from scrtui.services import Elsewhere
from scrtui.ui.modals.confirm import ConfirmModal
from scrtui.ui.screens.upload import UploadScreen

from .conftest import make_app, wait_for
from .fake_services import FakeServices, fixed_snapshot

SIZE = (80, 24)

BACKGROUND = Elsewhere(
    pid=4242,
    started_by="Dr Ann Smith (R8000), window on pts/3 (pid 4100)",
    title="Initial Upload - Run",
    background=True,
    you_control=True,
)
WATCHING = Elsewhere(
    pid=4242,
    started_by="Dr Ann Smith (R8000), window on pts/3 (pid 4100)",
    title="Initial Upload - Run",
    background=True,
    control="the window on pts/5 (pid 4300)",
    you_control=False,
)


def fake(other: Elsewhere) -> FakeServices:
    return FakeServices(other=other, fixed=fixed_snapshot(mode=Mode.RUN))


def on(app, screen_type) -> bool:
    return isinstance(app.screen, screen_type) and app.screen.is_mounted


async def attach_prompt(pilot) -> None:
    await wait_for(pilot, lambda: on(pilot.app, ConfirmModal))


async def running_view(pilot) -> None:
    await attach_prompt(pilot)
    await pilot.press("y")
    await wait_for(pilot, lambda: on(pilot.app, UploadScreen))


def test_attach_prompt(snap_compare) -> None:
    assert snap_compare(make_app(fake(BACKGROUND)), terminal_size=SIZE, run_before=attach_prompt)


def test_leave_running_prompt(snap_compare) -> None:
    async def leaving(pilot) -> None:
        await running_view(pilot)
        await pilot.press("f10")
        await wait_for(pilot, lambda: pilot.app.screen.id == "exit-confirm")

    assert snap_compare(make_app(fake(BACKGROUND)), terminal_size=SIZE, run_before=leaving)


def test_watching_window(snap_compare) -> None:
    assert snap_compare(make_app(fake(WATCHING)), terminal_size=SIZE, run_before=running_view)
