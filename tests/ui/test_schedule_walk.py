"""Schedules as an administrator meets them (issue 22, second walk), against the real
services: a scheduled run cancelled before it starts, p during the daily pause, and the date
of a stop time Resume keeps."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from textual.widgets import Input, Static

from scrtui.domain.progress import RunStatus
from scrtui.domain.schedule import next_at
from scrtui.ui import text as t
from scrtui.ui.modals.confirm import ConfirmModal
from scrtui.ui.modals.message import MessageModal
from scrtui.ui.screens.bulk import BulkTransmissionScreen
from scrtui.ui.screens.upload import UploadScreen

from .conftest import make_app, wait_for
from .real_services import real_services
from .test_flow import SLOW, finish, on, open_bulk, start_run


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


async def test_a_scheduled_run_cancelled_before_it_starts_says_so_and_offers_no_resume(
    seeded_home: Path, tmp_path: Path
) -> None:
    start = datetime.now() + timedelta(hours=1)  # well inside the card's session

    async def defer(pilot) -> None:
        form = pilot.app.screen
        form.query_one("#start-choice").focus()
        await pilot.press("right", "enter")
        await wait_for(pilot, lambda: not form.query_one("#start-date", Input).disabled)
        form.query_one("#start-date", Input).value = f"{start:%d/%m/%Y}"
        form.query_one("#start-time", Input).value = f"{start:%H:%M}"

    async with real_services(seeded_home, tmp_path) as services:
        app = make_app(services, clock=datetime.now)
        async with app.run_test() as pilot:
            await open_bulk(pilot)
            await start_run(pilot, before_ok=defer)
            await wait_for(pilot, lambda: app.live.state.status is RunStatus.SCHEDULED)
            window = app.screen
            assert window.check_action("cancel_schedule", ()) is True
            assert window.check_action("stop", ()) is False  # its own action, not Stop
            await pilot.press("s")
            await wait_for(pilot, lambda: on(app, ConfirmModal), what="the question")
            assert app.screen.question == t.CANCEL_SCHEDULE_QUESTION
            await pilot.press("y")
            await finish(pilot)
            assert app.screen.dialog_title == t.SCHEDULE_CANCELLED_TITLE
            assert "nothing to resume" in app.screen.text and "Resume" not in app.screen.text
            await pilot.press("enter")
            await wait_for(pilot, lambda: on(app, UploadScreen))
            alert = text_of(app, "#upload-alert")
            assert "cancelled before it started" in alert and "continues" not in alert
            await pilot.press("c")
            await wait_for(pilot, lambda: on(app, BulkTransmissionScreen))
            last = f"Not started (scheduled for {start:%d/%m/%Y %H:%M})"
            await wait_for(pilot, lambda: last in text_of(app, "#last-run"), what="last run")
            assert "Started" not in text_of(app, "#last-run")


async def test_p_during_the_scheduled_daily_pause_resumes_as_the_footer_says(
    seeded_home: Path, tmp_path: Path
) -> None:
    now = datetime.now()
    stop, resume = now - timedelta(hours=1), now + timedelta(hours=1)  # in the pause now

    async def pause_window(pilot) -> None:
        form = pilot.app.screen
        form.query_one("#stop", Input).value = f"{stop:%H:%M}"
        form.query_one("#resume", Input).value = f"{resume:%H:%M}"

    async with real_services(seeded_home, tmp_path, **SLOW) as services:
        app = make_app(services, clock=datetime.now)
        async with app.run_test() as pilot:
            await open_bulk(pilot)
            await start_run(pilot, before_ok=pause_window)
            await wait_for(pilot, lambda: app.live.state.status is RunStatus.PAUSED)
            assert "scheduled pause" in app.live.state.snapshot.reason
            assert app.screen.check_action("resume", ()) is True  # the footer offers it
            await pilot.press("p")
            await wait_for(pilot, lambda: app.live.state.status is RunStatus.RUNNING)
            await wait_for(pilot, lambda: app.live.state.snapshot.checked > 0, what="sending")
            tomorrow = f"{stop + timedelta(days=1):%d/%m/%Y %H:%M}"
            # issue 22: a daily window pauses at its stop time ("next: pause", not "stop")
            assert f"next: pause at {tomorrow}" in text_of(app, "#upload-schedule")


async def test_resume_says_the_date_of_the_stop_time_it_keeps(
    seeded_home: Path, tmp_path: Path
) -> None:
    # Ahead within the card session (a stop after its end is refused: issue 22 bug 1); the
    # "tomorrow" wording of a stop already past today: tests/ui/test_text.py.
    later = datetime.now() + timedelta(minutes=70)

    async def stop_time(pilot) -> None:
        pilot.app.screen.query_one("#stop", Input).value = f"{later:%H:%M}"

    async def kept(pilot) -> None:
        note = text_of(pilot.app, "#window-kept")
        when = next_at(datetime.now(), later.time().replace(second=0, microsecond=0))
        assert f"it stops at {later:%H:%M} " in note and f"({when:%d/%m/%Y})" in note

    async with real_services(seeded_home, tmp_path, **SLOW) as services:
        app = make_app(services, clock=datetime.now)
        async with app.run_test() as pilot:
            await open_bulk(pilot)
            await start_run(pilot, before_ok=stop_time)  # stops in 70 minutes
            await wait_for(pilot, lambda: app.live.state.snapshot.checked > 0, what="progress")
            await pilot.press("s")
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            await pilot.press("y")
            await finish(pilot)
            await pilot.press("enter", "c")
            await wait_for(pilot, lambda: on(app, BulkTransmissionScreen))
            await start_run(pilot, "u", before_ok=kept)
            assert not on(app, MessageModal)


async def test_a_completed_run_says_no_next_event_and_names_where_it_sent(
    seeded_home: Path, tmp_path: Path
) -> None:
    """issue 22: "next: stop at ..." stayed in the status bar after completion, a daily
    window's stop read "next: stop", and "Messages sent to the queue" showed in synchronous
    mode."""
    now = datetime.now()
    stop, resume = now + timedelta(hours=2), now + timedelta(hours=3)

    async def pause_window(pilot) -> None:
        form = pilot.app.screen
        form.query_one("#stop", Input).value = f"{stop:%H:%M}"
        form.query_one("#resume", Input).value = f"{resume:%H:%M}"

    async with real_services(seeded_home, tmp_path, **SLOW) as services:
        app = make_app(services, clock=datetime.now)
        async with app.run_test() as pilot:
            await open_bulk(pilot)
            await start_run(pilot, before_ok=pause_window)
            snapshot = lambda: app.live.state.snapshot  # noqa: E731
            await wait_for(pilot, lambda: snapshot().next_event_text.startswith("pause at "))
            await finish(pilot)
            await pilot.press("enter")
            await wait_for(pilot, lambda: on(app, UploadScreen))
            await wait_for(pilot, lambda: "Stopped: completed" in text_of(app, "#status-bar"))
            assert "next:" not in text_of(app, "#status-bar")
            figures = text_of(app, "#run-figures")
            assert "Messages sent to the MHS" in figures and "queue" not in figures
            mhs = text_of(app, "#upload-mhs")  # where and how it sends
            assert mhs == f"{services.settings.mhs_url}  synchronous"
