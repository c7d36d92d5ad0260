"""Issue 22 (the administrator's second walk), part A: what the app says and refuses before
and while an upload runs, against the in-memory services (tests/ui/fake_services.py)."""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList

from scrtui.domain.records import Bucket
from scrtui.ui.modals.confirm import ConfirmModal
from scrtui.ui.modals.message import MessageModal
from scrtui.ui.modals.schedule import ScheduleModal
from scrtui.ui.screens.upload import UploadScreen

from .conftest import make_app, wait_for
from .fake_services import FakeServices, group_members
from .test_flow_fake import choose_deferred_start, error_text, open_bulk, open_form, start_run


def _no_upload_window(app) -> bool:
    return not any(isinstance(s, UploadScreen) for s in app.screen_stack)


async def test_failed_on_a_group_with_nobody_failed_is_refused_before_anything_starts() -> None:
    services = FakeServices()
    in_group = set(group_members("NEWREG", services.patients))
    outside = next(i for i in range(services.patients) if i not in in_group)
    services.buckets[outside] = Bucket.FAILED  # the practice has a failure; the group has none
    app = make_app(services)
    async with app.run_test() as pilot:
        await open_bulk(pilot)
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="confirm")
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, ScheduleModal), what="form")
        app.screen.group = "NEWREG"
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageModal), what="refusal")
        message = app.screen
        assert message.has_class("-refusal")
        assert 'no failed initial uploads to reprocess in group "NEWREG"' in message.text
        assert "stopped" not in message.text.lower() and "Resume" not in message.text
        assert _no_upload_window(app)
        assert not any(c.startswith("run_upload") for c in services.calls)


async def test_a_run_refused_as_it_starts_is_shown_as_a_refusal_not_a_stopped_run() -> None:
    """The refusal the run itself raises (another process took the upload meanwhile)."""
    services = FakeServices(refuse_at_start="Another upload is running (pid 4242).")
    app = make_app(services)
    async with app.run_test() as pilot:
        await open_bulk(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="confirm")
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, ScheduleModal), what="form")
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageModal), what="refusal")
        message = app.screen
        assert message.has_class("-refusal")
        assert message.dialog_title == "Initial Upload - Run"
        assert "Another upload is running (pid 4242)." in message.text
        assert "stopped" not in message.text.lower() and "Resume" not in message.text
        await wait_for(pilot, lambda: _no_upload_window(app), what="no running view")
        assert app.live.state.request is None  # nothing to view (v)


async def test_the_stop_question_names_the_upload_being_stopped() -> None:
    services = FakeServices(hold=True)
    app = make_app(services)
    async with app.run_test() as pilot:
        await open_bulk(pilot)
        uploads = app.screen.query_one("#upload-list", OptionList)
        uploads.highlighted = 1  # Bulk Update
        await wait_for(pilot, lambda: app.screen.upload == "bulk-update", what="Bulk Update")
        await start_run(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, UploadScreen), what="window")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="stop question")
        assert "Bulk Update > Resume" in app.screen.detail
        assert "Initial Upload" not in app.screen.detail
        await pilot.press("y")
        await wait_for(pilot, lambda: not services.running, what="stopped")


# The fake card's session has 9h 58m left at 09:30 (tests/ui/conftest.py FIXED_NOW): it ends
# at 19:28 on 01/05/2026.
@pytest.mark.parametrize(
    ("start", "stop", "resume", "message", "bad"),
    [
        (
            "21:00",
            "",
            "",
            "the start 01/05/2026 21:00 is after your card session ends",
            "start-time",
        ),
        (None, "20:00", "", "the stop 01/05/2026 20:00 is after your card session ends", "stop"),
        (None, "12:00", "20:00", "would pause and never resume", "resume"),
    ],
)
async def test_a_time_after_the_card_session_ends_is_refused_in_the_form(
    start, stop, resume, message, bad
) -> None:
    """issue 22 bug 1: a start (stop, resume) the session never reaches is not accepted."""
    services = FakeServices()
    app = make_app(services)
    async with app.run_test() as pilot:
        form = await open_form(pilot)
        if start is not None:
            await choose_deferred_start(pilot, "01/05/2026", start)
        form.query_one("#stop", Input).value = stop
        form.query_one("#resume", Input).value = resume
        await pilot.press("f2")
        await wait_for(pilot, lambda: message.lower() in error_text(app).lower(), what=message)
        assert "19:28 on 01/05/2026" in error_text(app)
        assert app.screen is form and form.query_one(f"#{bad}", Input).has_class("-bad")
        assert not any(c.startswith("run_upload") for c in services.calls)


async def test_a_schedule_inside_the_card_session_is_accepted() -> None:
    services = FakeServices()
    app = make_app(services)
    async with app.run_test() as pilot:
        form = await open_form(pilot)
        await choose_deferred_start(pilot, "01/05/2026", "19:00")
        form.query_one("#stop", Input).value = "19:20"
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, UploadScreen), what="window")
        assert "run_upload:run" in services.calls


async def test_every_run_question_says_that_removing_the_card_pauses_sending() -> None:
    """issue 22: the design keeps card removal blocking; the user is told before a run."""
    app = make_app(FakeServices())
    async with app.run_test() as pilot:
        await open_bulk(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="confirm")
        assert "removing it pauses sending" in app.screen.detail
