"""Screenshots (SVG) of every screen and dialog at 80x24, from fixed in-memory services and a
fixed clock, so they only change when the UI does. Update with: pytest --snapshot-update."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from scrtui.domain.progress import RunStatus
from scrtui.domain.records import Bucket, Mode
from scrtui.services import CardState, LastRun
from scrtui.ui.modals.confirm import ConfirmModal
from scrtui.ui.modals.group_picker import GroupPickerModal
from scrtui.ui.modals.login import PasscodeModal, RoleModal
from scrtui.ui.modals.message import MessageModal
from scrtui.ui.modals.schedule import ScheduleModal
from scrtui.ui.screens.bulk import BulkTransmissionScreen
from scrtui.ui.screens.front import FrontScreen
from scrtui.ui.screens.help import HelpScreen
from scrtui.ui.screens.upload import UploadScreen

from .conftest import LINUX_CONSOLE, make_app, wait_for
from .fake_services import ADMIN, GP, FakeCard, FakeServices, fixed_snapshot

SIZE = (80, 24)

LAST_RUN = LastRun(
    user_name="Dr Ann Smith",
    role="System Administrator",
    mode=Mode.RUN,
    started_at=datetime(2026, 4, 30, 19, 0),
    ended_at=datetime(2026, 4, 30, 19, 42),
    outcome="stopped by the user",
)


def services(**changes) -> FakeServices:
    fake = FakeServices(last_run=LAST_RUN, **changes)
    fake.interrupted = True  # a run was stopped part-way: Resume applies
    for index in range(0, 40):
        fake.buckets[index] = Bucket.SENT
    fake.buckets[7] = Bucket.FAILED
    fake.buckets[11] = Bucket.NOT_REQUIRED
    return fake


def on(app, screen_type) -> bool:
    return isinstance(app.screen, screen_type) and app.screen.is_mounted


async def front(pilot) -> None:
    await wait_for(pilot, lambda: on(pilot.app, FrontScreen))


async def bulk(pilot) -> None:
    await front(pilot)
    await pilot.press("g")
    await wait_for(pilot, lambda: on(pilot.app, BulkTransmissionScreen))


async def confirm(pilot, key: str = "r") -> None:
    await bulk(pilot)
    await pilot.press(key)
    await wait_for(pilot, lambda: on(pilot.app, ConfirmModal))


async def form(pilot) -> None:
    await confirm(pilot)
    await pilot.press("y")
    await wait_for(pilot, lambda: on(pilot.app, ScheduleModal))


async def upload(pilot) -> None:
    await form(pilot)
    await pilot.press("f2")
    await wait_for(pilot, lambda: on(pilot.app, UploadScreen))
    await wait_for(pilot, lambda: pilot.app.upload_running)


def snap(snap_compare, fake: FakeServices, run_before, *, environ=None) -> bool:
    app = make_app(fake, environ=environ)
    return snap_compare(app, terminal_size=SIZE, run_before=run_before)


# ----- full screens --------------------------------------------------------------------------


def test_front_screen(snap_compare) -> None:
    assert snap(snap_compare, services(), front)


def test_front_screen_practice_tab(snap_compare) -> None:
    async def practice(pilot) -> None:
        await front(pilot)
        await pilot.press("shift+tab", "right")
        await wait_for(
            pilot, lambda: pilot.app.screen.query_one("#front-tabs").active == "tab-practice"
        )

    assert snap(snap_compare, services(), practice)


def test_bulk_transmission(snap_compare) -> None:
    assert snap(snap_compare, services(), bulk)


def test_upload_window_running(snap_compare) -> None:
    fake = services(hold=True, fixed=fixed_snapshot())
    assert snap(snap_compare, fake, upload)


def test_upload_window_card_removed(snap_compare) -> None:
    fake = services(
        hold=True,
        fixed=fixed_snapshot(status=RunStatus.PAUSED, reason="the smartcard was removed", eta=None),
    )

    async def removed(pilot) -> None:
        await upload(pilot)
        await pilot.press("f4")
        await wait_for(pilot, lambda: pilot.app.live.state.card.state is CardState.LOCKED)

    assert snap(snap_compare, fake, removed)


def test_upload_window_scheduled(snap_compare) -> None:
    fake = services(
        hold=True,
        fixed=fixed_snapshot(
            status=RunStatus.SCHEDULED,
            reason="starts 02/05/2026 02:00",
            checked=0,
            queued=0,
            avg_seconds_per_patient=None,
            rate_per_second=0.0,
            eta=None,
            schedule_text="Start 02/05/2026 02:00; pause 07:00, resume 19:00 daily",
            next_event_text="start at 02:00",
        ),
    )
    assert snap(snap_compare, fake, upload)


def test_help_screen(snap_compare) -> None:
    async def help_(pilot) -> None:
        await bulk(pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: on(pilot.app, HelpScreen))

    assert snap(snap_compare, services(), help_)


# ----- dialogs --------------------------------------------------------------------------------


def test_refusal(snap_compare) -> None:
    fake = services()
    fake.interrupted = False

    async def refused(pilot) -> None:
        await bulk(pilot)
        await pilot.press("u")
        await wait_for(pilot, lambda: on(pilot.app, MessageModal))

    assert snap(snap_compare, fake, refused)


def test_confirm_run(snap_compare) -> None:
    assert snap(snap_compare, services(), confirm)


def test_confirm_run_before_consent_migration(snap_compare) -> None:
    assert snap(snap_compare, services(consent_migrated=False), confirm)


def test_bulk_deregistration_form(snap_compare) -> None:
    async def deregistration(pilot) -> None:
        await bulk(pilot)
        await pilot.press("down", "down", "down")
        await pilot.press("r")
        await wait_for(pilot, lambda: on(pilot.app, ConfirmModal))
        await pilot.press("y")
        await wait_for(pilot, lambda: on(pilot.app, ScheduleModal))
        await pilot.press("f2")  # no group yet: refused, and said
        await wait_for(pilot, lambda: "needs a patient group" in str(
            pilot.app.screen.query_one("#schedule-error").content))  # fmt: skip

    assert snap(snap_compare, services(), deregistration)


def test_confirm_rerun(snap_compare) -> None:
    async def rerun(pilot) -> None:
        await confirm(pilot, "e")

    assert snap(snap_compare, services(), rerun)


def test_schedule_form(snap_compare) -> None:
    assert snap(snap_compare, services(), form)


def test_schedule_form_invalid(snap_compare) -> None:
    async def invalid(pilot) -> None:
        await form(pilot)
        screen = pilot.app.screen
        screen.query_one("#start-choice").focus()
        await pilot.press("right", "enter")
        screen.query_one("#start-date").value = "31/04/2026"
        screen.query_one("#resume").value = "08:00"
        await pilot.press("f2")
        await wait_for(pilot, lambda: bool(screen.query_one("#schedule-error").content))

    assert snap(snap_compare, services(), invalid)


def test_resume_form_keeps_the_window_of_the_last_run(snap_compare) -> None:
    fake = services()
    fake.last_run = replace(LAST_RUN, stop_at="22:00", resume_at="06:30")

    async def resume_form(pilot) -> None:
        await confirm(pilot, "u")
        await pilot.press("y")
        await wait_for(pilot, lambda: on(pilot.app, ScheduleModal))

    assert snap(snap_compare, fake, resume_form)


def test_group_picker(snap_compare) -> None:
    async def picker(pilot) -> None:
        await form(pilot)
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: on(pilot.app, GroupPickerModal))
        await pilot.press("r")  # filters to the groups with an "r" in name or description

    assert snap(snap_compare, services(), picker)


def test_stop_confirmation(snap_compare) -> None:
    async def stop(pilot) -> None:
        await upload(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: on(pilot.app, ConfirmModal))

    assert snap(snap_compare, services(hold=True, fixed=fixed_snapshot()), stop)


def test_process_completed(snap_compare) -> None:
    done = fixed_snapshot(
        status=RunStatus.STOPPED,
        reason="completed",
        counts={
            Bucket.UNPROCESSED: 0,
            Bucket.SENDING: 0,
            Bucket.SENT: 268,
            Bucket.FAILED: 5,
            Bucket.NOT_REQUIRED: 27,
        },
        checked=300,
        queued=273,
        rate_per_second=0.0,
        eta=None,
    )

    async def completed(pilot) -> None:
        await form(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: on(pilot.app, MessageModal))

    assert snap(snap_compare, services(fixed=done), completed)


def test_worker_error(snap_compare) -> None:
    async def crashed(pilot) -> None:
        await form(pilot)
        await pilot.press("f2")
        await wait_for(pilot, lambda: on(pilot.app, MessageModal))

    stopped = fixed_snapshot(status=RunStatus.STOPPED, reason="fatal error", eta=None)
    assert snap(snap_compare, services(fail_after=20, fixed=stopped), crashed)


def test_exit_confirmation(snap_compare) -> None:
    async def leaving(pilot) -> None:
        await front(pilot)
        await pilot.press("f10")
        await wait_for(pilot, lambda: on(pilot.app, ConfirmModal))

    assert snap(snap_compare, services(), leaving)


def test_exit_confirmation_during_a_run(snap_compare) -> None:
    async def leaving(pilot) -> None:
        await upload(pilot)
        await pilot.press("f10")
        await wait_for(pilot, lambda: on(pilot.app, ConfirmModal))

    assert snap(snap_compare, services(hold=True, fixed=fixed_snapshot()), leaving)


def test_passcode_wrong(snap_compare) -> None:
    fake = services(card=FakeCard(state=CardState.INSERTED, role_id=None))

    async def wrong(pilot) -> None:
        await wait_for(pilot, lambda: on(pilot.app, PasscodeModal))
        await pilot.press("9", "9", "9", "9", "enter")
        screen = pilot.app.screen
        await wait_for(pilot, lambda: "Wrong" in str(screen.query_one("#login-error").content))

    assert snap(snap_compare, fake, wrong)


def test_role_choice(snap_compare) -> None:
    fake = services(card=FakeCard(state=CardState.INSERTED, roles=(ADMIN, GP), role_id=None))

    async def roles(pilot) -> None:
        await wait_for(pilot, lambda: on(pilot.app, PasscodeModal))
        await pilot.press("1", "2", "3", "4", "enter")
        await wait_for(pilot, lambda: on(pilot.app, RoleModal))

    assert snap(snap_compare, fake, roles)


# ----- the Linux console (TERM=linux): 16 colours, ASCII only ---------------------------------


def test_console_bulk_transmission(snap_compare) -> None:
    assert snap(snap_compare, services(), bulk, environ=LINUX_CONSOLE)


def test_console_bulk_transmission_no_longer_contributing_chosen(snap_compare) -> None:
    async def pnlc(pilot) -> None:
        await bulk(pilot)
        await pilot.press("end")
        await wait_for(pilot, lambda: pilot.app.screen.upload == "no-longer-contributing")

    assert snap(snap_compare, services(), pnlc, environ=LINUX_CONSOLE)


def test_console_schedule_form(snap_compare) -> None:
    assert snap(snap_compare, services(), form, environ=LINUX_CONSOLE)


def test_console_upload_window(snap_compare) -> None:
    fake = services(hold=True, fixed=fixed_snapshot())
    assert snap(snap_compare, fake, upload, environ=LINUX_CONSOLE)
