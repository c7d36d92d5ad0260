"""The app's window on an upload another process runs, with the real window services and a
real `scrtui upload` in another process (issue 22 bug 4): the window shows it live and
read-only with its pid and who started it, refuses another upload before any question, and
says when it ended."""

from __future__ import annotations

from scrtui.paths import Home
from scrtui.remote.window import WindowServices, as_window
from scrtui.settings import load
from scrtui.store.db import close_database
from scrtui.ui.modals.confirm import ConfirmModal
from scrtui.ui.modals.message import MessageModal
from scrtui.ui.screens.bulk import BulkTransmissionScreen
from scrtui.ui.screens.upload import UploadScreen
from scrtui.wiring import create_services
from tests.remote.conftest import PASSCODE_ENV, Practice
from tests.ui.conftest import make_app, screen_text, wait_for


def window_services(practice: Practice) -> WindowServices:
    settings = load(practice.home / "scrtui.toml")
    return as_window(
        create_services(Home(practice.home), settings, card="simulated", kind=WindowServices)
    )


async def test_a_cli_upload_shows_live_read_only_and_a_second_is_refused_before_any_question(
    practice: Practice,
) -> None:
    from datetime import datetime

    services = window_services(practice)
    app = make_app(services, clock=datetime.now)
    child = None
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.screen.is_mounted)
            child = practice.popen("upload", "--mode", "run", "--yes", env=PASSCODE_ENV)
            await wait_for(
                pilot, lambda: isinstance(app.screen, ConfirmModal), timeout=60, what="attach"
            )
            # The question's text is composed a moment after the dialog is on the stack.
            await wait_for(pilot, lambda: f"process {child.pid}" in screen_text(app), what="pid")
            text = screen_text(app)
            assert "from a terminal (scrtui upload)" in text
            assert "Demo Administrator" in text
            await pilot.press("y")
            await wait_for(pilot, lambda: isinstance(app.screen, UploadScreen))
            await wait_for(
                pilot,
                lambda: "watch only" in screen_text(app) and app.live.state.snapshot.checked > 0,
                timeout=60,
                what="live counts",
            )
            assert not app.screen.check_action("stop", ())  # read-only: its terminal acts
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, UploadScreen))
            # Another upload: refused at once, before any question.
            if not isinstance(app.screen, BulkTransmissionScreen):
                await pilot.press("enter")
                await wait_for(pilot, lambda: isinstance(app.screen, BulkTransmissionScreen))
            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, MessageModal))
            assert "already" in screen_text(app)
            assert not any(isinstance(s, ConfirmModal) for s in app.screen_stack)
            await pilot.press("enter")
            # It ends in its terminal (stopped there): the window says so and stops following.
            assert practice.scrtui("stop").returncode == 0
            await wait_for(
                pilot, lambda: not app.upload_running, timeout=60, what="the end is seen"
            )
            await wait_for(pilot, lambda: "stopped by the user" in screen_text(app))
            assert child.wait(60) == 3
    finally:
        if child is not None and child.poll() is None:
            child.kill()
            child.wait()
        services.close()
        close_database()
