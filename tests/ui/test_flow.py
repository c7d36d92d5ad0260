"""The seed's steps, driven by keys, against the real services: the wiring, the upload engine,
the store (300 seeded patients in a temporary home), the bundled MHS simulator and the
simulated smartcard. Each test waits on a condition, never a fixed sleep.

tests/ui/test_flow_fake.py covers what needs a state the real practice cannot reach on demand
(a crashing worker, several role profiles, a role without B0062) with the in-memory services.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from textual.widgets import Input, OptionList, Static

from scrtui.domain.progress import RunStatus
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.uploads import KINDS
from scrtui.services import CardState
from scrtui.store import queries
from scrtui.ui import text as t
from scrtui.ui.modals.confirm import ConfirmModal
from scrtui.ui.modals.group_picker import GroupPickerModal
from scrtui.ui.modals.login import PasscodeModal
from scrtui.ui.modals.message import MessageModal
from scrtui.ui.modals.schedule import ScheduleModal
from scrtui.ui.screens.bulk import BulkTransmissionScreen
from scrtui.ui.screens.front import SCR_MENU, FrontScreen
from scrtui.ui.screens.help import HelpScreen
from scrtui.ui.screens.upload import UploadScreen

from .conftest import make_app, screen_text, wait_for
from .real_services import PATIENTS, real_services

SLOW = {"latency_ms": 40, "concurrency": 2}  # about 50 patients a second: time to press keys


def real_app(services):
    return make_app(services, clock=datetime.now)


def on(app, screen_type) -> bool:
    return isinstance(app.screen, screen_type)


def in_stack(app, screen_type) -> bool:
    return any(isinstance(s, screen_type) for s in app.screen_stack)


def passcode_ready(app) -> bool:
    return on(app, PasscodeModal) and bool(app.screen.query("#passcode"))


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


async def open_bulk(pilot) -> None:
    await wait_for(pilot, lambda: on(pilot.app, FrontScreen), what="front screen")
    await pilot.press("g")
    await wait_for(pilot, lambda: on(pilot.app, BulkTransmissionScreen), what="bulk screen")


async def run_under_way(pilot) -> None:
    """From the front screen: a Run started, with some patients already checked."""
    await open_bulk(pilot)
    await start_run(pilot)
    await wait_for(pilot, lambda: pilot.app.live.state.snapshot.checked > 0, what="progress")


async def start_run(pilot, key: str = "r", *, before_ok=None) -> None:
    """From Bulk Transmission: the option, Yes, (form edits), F2; until the window is open."""
    app = pilot.app
    await pilot.press(key)
    await wait_for(pilot, lambda: on(app, ConfirmModal), what="confirmation")
    await pilot.press("y")
    await wait_for(pilot, lambda: on(app, ScheduleModal), what="SCR Upload form")
    if before_ok is not None:
        await before_ok(pilot)
    await pilot.press("f2")
    await wait_for(pilot, lambda: in_stack(app, UploadScreen), what="SCR Upload window")


async def finish(pilot) -> None:
    """Wait for the run's end message; OK it."""
    app = pilot.app
    await wait_for(pilot, lambda: not app.upload_running and on(app, MessageModal), timeout=60)


# ----- 1-2: front screen and Bulk Transmission ------------------------------------------------


async def test_front_screen_tabs_and_bulk_transmission(seeded_home: Path, tmp_path: Path) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await wait_for(pilot, lambda: on(app, FrontScreen))
            menu = app.screen.query_one("#scr-menu", OptionList)
            assert app.focused is menu
            prompts = [str(menu.get_option_at_index(i).prompt) for i in range(menu.option_count)]
            assert prompts == [entry.label for entry in SCR_MENU]
            assert prompts[0] == "GP Summary Bulk Uploads"  # highlighted: Enter opens it
            await pilot.press("shift+tab", "right")
            await wait_for(
                pilot, lambda: app.screen.query_one("#front-tabs").active == "tab-practice"
            )
            assert services.settings.ods_code in text_of(app, "#practice-info")
            await pilot.press("left", "tab", "enter")
            await wait_for(pilot, lambda: on(app, BulkTransmissionScreen))
            text = screen_text(app)
            assert "Status  Idle" in text
            assert f"{'Unprocessed':<14}{PATIENTS:>8,}" in text
            uploads = app.screen.query_one("#upload-list", OptionList)
            assert [str(o.prompt) for o in uploads.options] == [k.label for k in KINDS.values()]
            assert uploads.highlighted == 0 and app.focused is uploads  # the Initial Upload
            assert "No initial upload has been run yet." in text
            await pilot.press("escape")
            await wait_for(pilot, lambda: on(app, FrontScreen))


# ----- refusals -------------------------------------------------------------------------------


async def test_resume_failed_and_rerun_with_nothing_to_do_say_why(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_bulk(pilot)
            for key, expected in (
                ("u", "There is nothing to resume"),
                ("f", "There are no failed initial uploads to reprocess"),
                ("e", "nothing to rerun"),
            ):
                await pilot.press(key)
                await wait_for(pilot, lambda: on(app, MessageModal))
                assert expected in app.screen.text
                assert app.screen.has_class("-refusal")
                await pilot.press("escape")
                await wait_for(pilot, lambda: on(app, BulkTransmissionScreen))
            assert services.engine is None  # nothing was started


async def test_starting_without_a_card_session_explains_what_is_missing(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path, logged_in=False) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await wait_for(pilot, lambda: passcode_ready(app))  # the card is in the reader
            await pilot.press("escape")
            await open_bulk(pilot)
            await pilot.press("r")
            await wait_for(pilot, lambda: on(app, MessageModal))
            assert "smartcard" in app.screen.text.lower()
            assert services.engine is None


# ----- 3-6: confirmation, form, running, completion ------------------------------------------


async def test_run_to_completion_process_completed_counters_stay_stop_and_close(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_bulk(pilot)
            await pilot.press("r")
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            assert app.screen.question == t.CONFIRM_PROMPTS[Mode.RUN]
            await pilot.press("escape")  # No: back to the menu, nothing started
            await wait_for(pilot, lambda: on(app, BulkTransmissionScreen))
            assert services.engine is None
            await start_run(pilot)
            await finish(pilot)
            assert app.screen.text == "Process completed."
            await pilot.press("enter")
            await wait_for(pilot, lambda: on(app, UploadScreen))
            counts = queries.bucket_counts()
            assert counts[Bucket.UNPROCESSED] == 0 and counts[Bucket.SENDING] == 0
            await wait_for(pilot, lambda: text_of(app, "#upload-status") == "Stopped: completed")
            assert f"{PATIENTS:,} of {PATIENTS:,} checked" in screen_text(app)
            assert f"{'Sent':<14}{counts[Bucket.SENT]:>8,}" in screen_text(app)
            await pilot.press("c")  # Stop & Close
            await wait_for(pilot, lambda: on(app, BulkTransmissionScreen))
            last = text_of(app, "#last-run")
            assert last.startswith("Run by ") and "Outcome completed" in last


async def test_pause_resume_and_stop_with_confirmation(seeded_home: Path, tmp_path: Path) -> None:
    async with real_services(seeded_home, tmp_path, **SLOW) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await run_under_way(pilot)
            await pilot.press("p")
            await wait_for(pilot, lambda: app.live.state.status is RunStatus.PAUSED)
            # issue 22: not "Paused: paused by the user"
            await wait_for(
                pilot,
                lambda: "Paused: by the user; press p (Resume)" in text_of(app, "#upload-status"),
            )
            await pilot.press("p")  # the same key resumes
            await wait_for(pilot, lambda: app.live.state.status is RunStatus.RUNNING)
            checked = app.live.state.snapshot.checked
            await wait_for(pilot, lambda: app.live.state.snapshot.checked > checked)
            await pilot.press("s")
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            assert app.screen.question == t.STOP_QUESTION
            await pilot.press("n")  # declined: still running
            await wait_for(pilot, lambda: on(app, UploadScreen))
            assert app.upload_running
            await pilot.press("s")
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            await pilot.press("y")
            await finish(pilot)
            assert "stopped by the user" in app.screen.text
            await pilot.press("enter")
            await wait_for(pilot, lambda: text_of(app, "#upload-status") == "Stopped: by the user")
            await pilot.press("c")
            await wait_for(pilot, lambda: on(app, BulkTransmissionScreen))
            await pilot.press("u")  # now there is something to resume
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            assert app.screen.question == "Continue with the initial upload?"
            await pilot.press("y")
            await wait_for(pilot, lambda: on(app, ScheduleModal))
            assert app.screen.dialog_title == "SCR Upload - Resume"


async def test_resume_keeps_the_stop_and_resume_window_of_the_run_it_continues(
    seeded_home: Path, tmp_path: Path
) -> None:
    now = datetime.now()
    stop = f"{(now + timedelta(hours=2)):%H:%M}"  # a window the test never reaches
    resume = f"{(now + timedelta(hours=3)):%H:%M}"
    later = f"{(now + timedelta(hours=4)):%H:%M}"

    async def window(pilot) -> None:
        pilot.app.screen.query_one("#stop", Input).focus()
        await pilot.press(*stop, "tab", *resume)

    async def kept_and_changed(pilot) -> None:
        form = pilot.app.screen
        assert form.query_one("#stop", Input).value == stop  # shown, as the run had it
        assert form.query_one("#resume", Input).value == resume
        kept = text_of(pilot.app, "#window-kept")
        assert kept.startswith("Stop and Resume from the run being resumed")
        form.query_one("#resume", Input).focus()
        await pilot.press("ctrl+u", *later)  # and changeable

    async with real_services(seeded_home, tmp_path, **SLOW) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_bulk(pilot)
            await start_run(pilot, before_ok=window)
            await wait_for(pilot, lambda: app.live.state.snapshot.checked > 0, what="progress")
            await pilot.press("s")
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            await pilot.press("y")
            await finish(pilot)
            await pilot.press("enter")
            await pilot.press("c")
            await wait_for(pilot, lambda: on(app, BulkTransmissionScreen))

            await start_run(pilot, "u", before_ok=kept_and_changed)
            assert app.live.state.request is not None
            assert app.live.state.request.mode is Mode.RESUME
            await wait_for(pilot, lambda: queries.last_run().mode == Mode.RESUME.value)
            last = (await services.overview()).last_run
            assert (last.stop_at, last.resume_at) == (stop, later)


async def test_the_run_survives_leaving_its_window(seeded_home: Path, tmp_path: Path) -> None:
    async with real_services(seeded_home, tmp_path, **SLOW) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_bulk(pilot)
            await start_run(pilot)
            await pilot.press("escape")
            await wait_for(pilot, lambda: on(app, BulkTransmissionScreen))
            await pilot.press("escape")
            await wait_for(pilot, lambda: on(app, FrontScreen))
            assert app.upload_running
            await pilot.press("g")
            await wait_for(pilot, lambda: on(app, BulkTransmissionScreen))
            await wait_for(pilot, lambda: text_of(app, "#bulk-status") == "Status  Running")
            await pilot.press("r")  # another option while one runs: refused, with the way back
            await wait_for(pilot, lambda: on(app, MessageModal))
            assert "already in progress" in app.screen.text
            await pilot.press("escape", "v")
            await wait_for(pilot, lambda: on(app, UploadScreen))
            checked = app.live.state.snapshot.checked
            await wait_for(pilot, lambda: app.live.state.snapshot.checked > checked)


async def test_group_picker_lists_real_groups_and_the_run_uses_the_group(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        groups = await services.groups()
        assert groups, "the seed makes patient groups"
        chosen = groups[0]
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_bulk(pilot)

            async def pick(pilot) -> None:
                form = app.screen
                await pilot.press("ctrl+g")
                await wait_for(pilot, lambda: on(app, GroupPickerModal))
                listing = app.screen.query_one("#group-list", OptionList)
                assert listing.option_count == len(groups) + 1  # and "All patients"
                await pilot.press(*chosen.name.lower())
                await wait_for(pilot, lambda: listing.option_count >= 1)
                await pilot.press("enter")
                await wait_for(pilot, lambda: app.screen is form)
                assert form.group == chosen.name

            await start_run(pilot, before_ok=pick)
            await finish(pilot)
            await pilot.press("enter")
            assert text_of(app, "#upload-group") == chosen.name
            assert f"{chosen.members:,} checked" in screen_text(app)


async def test_deferred_start_shows_scheduled_in_the_window_and_status_bar(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        # Within the card session (10 hours): a later time is refused (issue 22 bug 1).
        start = (datetime.now() + timedelta(hours=1)).replace(second=0, microsecond=0)
        stop, resume = start + timedelta(hours=1), start + timedelta(hours=3)
        async with app.run_test() as pilot:
            await open_bulk(pilot)

            async def defer(pilot) -> None:
                form = app.screen
                form.query_one("#start-choice").focus()
                await pilot.press("right", "enter")
                await wait_for(pilot, lambda: not form.query_one("#start-date", Input).disabled)
                form.query_one("#start-date", Input).value = f"{start:%d/%m/%Y}"
                form.query_one("#start-time", Input).value = f"{start:%H:%M}"
                form.query_one("#stop", Input).value = f"{stop:%H:%M}"
                form.query_one("#resume", Input).value = f"{resume:%H:%M}"

            await start_run(pilot, before_ok=defer)
            await wait_for(pilot, lambda: app.live.state.status is RunStatus.SCHEDULED)
            when = f"{start:%d/%m/%Y %H:%M}"
            await wait_for(pilot, lambda: when in text_of(app, "#upload-status"))
            schedule = text_of(app, "#upload-schedule")
            window = f"pause {stop:%H:%M}, resume {resume:%H:%M}"
            assert f"Start {when}" in schedule and window in schedule
            # At 80 columns the bar says the start in its status; the window has the schedule.
            assert f"starts {when}" in text_of(app, "#status-bar")
            await pilot.press("s")
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            await pilot.press("y")
            await finish(pilot)


async def test_a_fatal_mhs_answer_ends_the_run_with_its_message(
    seeded_home: Path, tmp_path: Path
) -> None:
    # The MHS URL names a path the adaptor does not serve (404): our configuration is wrong,
    # so the engine stops the run rather than failing every patient.
    async with real_services(seeded_home, tmp_path, mhs_path="wrong/path") as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_bulk(pilot)
            await start_run(pilot)
            await finish(pilot)
            assert app.is_running
            assert app.screen.dialog_title == "Upload stopped"
            assert "Not Found" in app.screen.text  # the adaptor's own words
            assert "Initial Upload > Resume" in app.screen.text
            await pilot.press("enter")
            await wait_for(pilot, lambda: on(app, UploadScreen))
            # The Status row follows the app's poll, which a loaded machine runs a moment later.
            await wait_for(pilot, lambda: text_of(app, "#upload-status").startswith("Stopped"))
            await pilot.press("c")
            await wait_for(pilot, lambda: on(app, BulkTransmissionScreen))


# ----- the card --------------------------------------------------------------------------------


async def test_card_removed_mid_run_pauses_at_once_and_reinserting_continues(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path, **SLOW) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await run_under_way(pilot)
            await pilot.press("f4")  # remove the simulated card
            # Said at once (the alert), then by the engine's status (the alert gives way).
            await wait_for(
                pilot,
                lambda: (
                    text_of(app, "#upload-alert") == t.CARD_REMOVED_HELP
                    or "reinsert" in text_of(app, "#upload-status")
                ),
            )
            assert text_of(app, "#card-status").startswith("Card removed: reinsert the same card")
            await wait_for(pilot, lambda: app.live.state.status is RunStatus.PAUSED)
            await pilot.pause(0.5)  # let the requests already on the wire come back
            frozen = app.live.state.snapshot.checked
            await pilot.pause(0.5)
            assert app.live.state.snapshot.checked == frozen  # nothing leaves without a card
            await pilot.press("f4")  # reinsert: the passcode dialog opens by itself
            await wait_for(pilot, lambda: passcode_ready(app))
            await pilot.press("9", "9", "9", "9", "enter")
            await wait_for(pilot, lambda: "Wrong passcode" in text_of(app, "#login-error"))
            assert app.screen.query_one("#passcode", Input).value == ""
            await pilot.press("1", "2", "3", "4", "enter")
            await wait_for(pilot, lambda: on(app, UploadScreen))
            await wait_for(pilot, lambda: app.live.state.snapshot.checked > frozen)
            assert app.live.state.card.state is CardState.LOGGED_IN


# ----- 7: leaving, signals, help ---------------------------------------------------------------


async def test_exit_asks_no_stays_yes_leaves(seeded_home: Path, tmp_path: Path) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await wait_for(pilot, lambda: on(app, FrontScreen))
            await pilot.press("f10")
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            assert app.screen.question == "Are you sure you want to exit the application?"
            assert app.screen.detail == ""
            await pilot.press("n")
            await wait_for(pilot, lambda: on(app, FrontScreen))
            await pilot.press("ctrl+q")
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            await pilot.press("y")
            await wait_for(pilot, lambda: not app.is_running)
        assert app.return_code == 0


async def test_exit_during_a_run_says_it_stops_safely_and_does(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path, **SLOW) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await run_under_way(pilot)
            await pilot.press("f10")
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            assert "will stop safely" in app.screen.detail
            assert "can be resumed" in app.screen.detail
            await pilot.press("y")
            await wait_for(pilot, lambda: not app.is_running, timeout=60)
        assert app.return_code == 0
        snapshot = services.snapshot()
        assert snapshot.status is RunStatus.STOPPED
        assert (
            await services.preflight(Mode.RESUME)
        ).refusal is None  # Resume has something to continue
        counts = queries.bucket_counts()
        assert counts[Bucket.UNPROCESSED] > 0  # stopped part-way, resumable


async def test_sighup_stops_the_run_safely_and_exits_129(seeded_home: Path, tmp_path: Path) -> None:
    async with real_services(seeded_home, tmp_path, **SLOW) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await run_under_way(pilot)
            app._on_signal(1, 129)  # what the SIGHUP handler runs  # noqa: SLF001
            await wait_for(pilot, lambda: not app.is_running, timeout=60)
        assert app.return_code == 129
        assert services.snapshot().status is RunStatus.STOPPED
        assert "terminal closed" in services.snapshot().reason  # the log says why, too


async def test_f1_help_and_no_screenshot_command(seeded_home: Path, tmp_path: Path) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await pilot.press("f1")
            await wait_for(pilot, lambda: on(app, HelpScreen))
            await pilot.press("f1")
            await wait_for(pilot, lambda: on(app, FrontScreen))
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert "Screenshot" not in titles and "Quit" in titles
