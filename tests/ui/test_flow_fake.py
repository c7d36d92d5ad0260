"""What the real practice cannot show on demand, against the in-memory services
(tests/ui/fake_services.py): each option's exact wording, every kind of invalid form input, a
worker that crashes, several role profiles, a role without B0062, a scheduled start released
at will. The main flow runs against the real services in tests/ui/test_flow.py.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input, OptionList, Static

from scrtui.domain.progress import RunStatus
from scrtui.domain.records import Bucket, Mode
from scrtui.services import CardState, GroupInfo
from scrtui.ui import text as t
from scrtui.ui.modals.confirm import ConfirmModal
from scrtui.ui.modals.group_picker import GroupPickerModal
from scrtui.ui.modals.login import PasscodeModal, RoleModal
from scrtui.ui.modals.message import MessageModal
from scrtui.ui.modals.schedule import ScheduleModal
from scrtui.ui.screens.bulk import BulkTransmissionScreen
from scrtui.ui.screens.front import FrontScreen
from scrtui.ui.screens.upload import UploadScreen

from .conftest import make_app, screen_text, wait_for
from .fake_services import ADMIN, GP, GROUPS, FakeCard, FakeServices


async def open_bulk(pilot) -> None:
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, FrontScreen), what="front")
    await pilot.press("g")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, BulkTransmissionScreen))


async def start_run(pilot, mode_key: str = "r", *, before_ok=None) -> None:
    """From the Bulk Transmission screen: option, Yes, (form edits), F2."""
    await pilot.press(mode_key)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal), what="confirm")
    await pilot.press("y")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ScheduleModal), what="form")
    if before_ok is not None:
        await before_ok(pilot)
    await pilot.press("f2")
    # A short run may already be over, its "Process completed." over the window.
    await wait_for(
        pilot,
        lambda: any(isinstance(s, UploadScreen) for s in pilot.app.screen_stack),
        what="upload window",
    )


def passcode_ready(app) -> bool:
    return isinstance(app.screen, PasscodeModal) and bool(app.screen.query("#passcode"))


def error_text(app) -> str:
    return str(app.screen.query_one("#schedule-error", Static).content)


# ----- 1-2: front screen, tabs, Bulk Transmission ----------------------------------------------


# ----- refusals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("u", "There is nothing to resume: no upload was interrupted"),
        ("f", "There are no failed initial uploads to reprocess"),
    ],
)
async def test_option_that_cannot_apply_says_why(key: str, expected: str) -> None:
    services = FakeServices()
    app = make_app(services)
    async with app.run_test() as pilot:
        await open_bulk(pilot)
        await pilot.press(key)
        await wait_for(pilot, lambda: isinstance(app.screen, MessageModal))
        assert expected in app.screen.text
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkTransmissionScreen))
        assert not any(c.startswith("run_upload") for c in services.calls)


async def test_start_without_b0062_explains_the_missing_activity() -> None:
    services = FakeServices(card=FakeCard(roles=(GP,), role_id=GP.role_profile_id))
    app = make_app(services)
    async with app.run_test() as pilot:
        await open_bulk(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, MessageModal))
        assert "does not include RBAC activity B0062" in app.screen.text
        assert "General Medical Practitioner" in app.screen.text


# ----- 3: confirmations -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", list(Mode))
async def test_each_option_asks_with_the_exact_vision_wording(mode: Mode) -> None:
    services = FakeServices()
    services.interrupted = True  # so Resume applies
    services.buckets[3] = Bucket.FAILED  # so Failed applies
    services.buckets[4] = Bucket.SENT  # so Rerun applies (something was sent)
    app = make_app(services)
    async with app.run_test() as pilot:
        await open_bulk(pilot)
        await pilot.press("enter")  # on the Initial Upload: on to its options
        menu = app.screen.query_one("#option-menu", OptionList)
        await wait_for(pilot, lambda: app.focused is menu)
        menu.highlighted = list(Mode).index(mode)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        assert app.screen.question == t.CONFIRM_PROMPTS[mode]
        assert app.screen.dialog_title == f"Initial Upload - {mode.label}"
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkTransmissionScreen))


async def test_confirmation_escape_means_no() -> None:
    app = make_app(FakeServices())
    async with app.run_test() as pilot:
        await open_bulk(pilot)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkTransmissionScreen))


def test_confirmation_prompts_match_domain_md() -> None:
    assert t.CONFIRM_PROMPTS[Mode.RUN] == (
        "This action will send a GP Summary Initial Upload for all eligible patients. This "
        "should only be run at a time and date agreed with HSCIC. Do you wish to proceed?"
    )
    assert t.CONFIRM_PROMPTS[Mode.RESUME] == "Continue with the initial upload?"
    assert t.CONFIRM_PROMPTS[Mode.RERUN] == (
        "Some Initial Uploads have already been sent. This operation will resend messages for "
        "all eligible patients. Do you wish to proceed?"
    )
    assert t.CONFIRM_PROMPTS[Mode.FAILED] == (
        "This action will reprocess all failed initial uploads. Do you wish to proceed?"
    )


# ----- 4: the SCR Upload form -------------------------------------------------------------------


async def open_form(pilot) -> ScheduleModal:
    await open_bulk(pilot)
    await pilot.press("r")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmModal))
    await pilot.press("y")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ScheduleModal))
    return pilot.app.screen


async def choose_deferred_start(pilot, date: str, time: str) -> None:
    form = pilot.app.screen
    form.query_one("#start-choice").focus()
    await pilot.press("right", "enter")  # highlight "At", select it
    await wait_for(pilot, lambda: not form.query_one("#start-date", Input).disabled)
    for field_id, value in (("#start-date", date), ("#start-time", time)):
        field = form.query_one(field_id, Input)
        field.value = value


@pytest.mark.parametrize(
    ("date", "time", "stop", "resume", "message", "bad"),
    [
        ("31/02/2026", "10:00", "", "", '"31/02/2026" is not a date', "#start-date"),
        ("01/05/2026", "25:00", "", "", '"25:00" is not a time', "#start-time"),
        ("30/04/2026", "10:00", "", "", "is in the past", "#start-date"),
        (None, None, "", "08:00", "A resume time needs a stop time", "#resume"),
        (None, None, "7pm", "", '"7pm" is not a time', "#stop"),
        (None, None, "18:00", "18:00", "the stop and resume times are the same", "#stop"),
    ],
)
async def test_form_refuses_invalid_input_inline(date, time, stop, resume, message, bad) -> None:
    services = FakeServices()
    app = make_app(services)
    async with app.run_test() as pilot:
        form = await open_form(pilot)
        if date is not None:
            await choose_deferred_start(pilot, date, time)
        form.query_one("#stop", Input).value = stop
        form.query_one("#resume", Input).value = resume
        await pilot.press("f2")
        await wait_for(pilot, lambda: message.lower() in error_text(app).lower())
        assert app.screen is form  # OK stays refused
        assert form.query_one(bad, Input).has_class("-bad")
        assert not any(c.startswith("run_upload") for c in services.calls)


async def test_form_typed_time_is_checked_when_leaving_the_field() -> None:
    app = make_app(FakeServices())
    async with app.run_test() as pilot:
        form = await open_form(pilot)
        form.query_one("#stop", Input).focus()
        await pilot.press("9", "9", ":", "9", "9", "tab")
        await wait_for(pilot, lambda: '"99:99" is not a time' in error_text(app))
        assert form.query_one("#stop", Input).has_class("-bad")
        form.query_one("#stop", Input).value = "18:00"  # fixing it clears the mark
        await wait_for(pilot, lambda: not form.query_one("#stop", Input).has_class("-bad"))


async def test_form_letters_are_not_accepted_in_time_fields_and_do_not_fire_keys() -> None:
    app = make_app(FakeServices())
    async with app.run_test() as pilot:
        form = await open_form(pilot)
        form.query_one("#stop", Input).focus()
        await pilot.press("r", "u", "1", "8", ":", "0", "0")
        assert form.query_one("#stop", Input).value == "18:00"
        assert app.screen is form


async def test_form_cancel_and_escape_return_none() -> None:
    services = FakeServices()
    app = make_app(services)
    async with app.run_test() as pilot:
        await open_form(pilot)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkTransmissionScreen))
        assert services.calls == []


async def test_group_picker_filters_as_you_type_and_sets_the_group() -> None:
    services = FakeServices(hold=True)
    app = make_app(services)
    async with app.run_test() as pilot:
        form = await open_form(pilot)
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, GroupPickerModal))
        picker = app.screen
        listing = picker.query_one("#group-list", OptionList)
        assert listing.option_count == 5  # All patients + 4 groups
        assert "100 patients" in str(listing.get_option_at_index(2).prompt)
        await pilot.press("d", "i", "a")
        await wait_for(pilot, lambda: listing.option_count == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is form)
        assert form.group == "DIABETES"
        await pilot.press("f2")
        await wait_for(pilot, lambda: isinstance(app.screen, UploadScreen))
        await wait_for(pilot, lambda: services.request is not None)
        assert services.request.group == "DIABETES"
        assert "DIABETES" in str(app.screen.query_one("#upload-group").content)


LONG = "Housebound patients reviewed by the district nurses 2026"  # 56, the most allowed


def picker_lines(app) -> list[str]:
    """The picker's list as drawn on the terminal, one string per row."""
    listing = app.screen.query_one("#group-list", OptionList)
    rows = listing.content_region.height
    return ["".join(seg.text for seg in listing.render_line(y)).rstrip() for y in range(rows)]


@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_group_picker_uses_its_width_and_cuts_with_a_mark(size) -> None:
    groups = (*GROUPS, GroupInfo("HOUSEBOUND", LONG, 1234, False))
    app = make_app(FakeServices(group_list=groups))
    async with app.run_test(size=size) as pilot:
        await open_form(pilot)
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, GroupPickerModal))
        await wait_for(pilot, lambda: any("HOUSEBOUND" in line for line in picker_lines(app)))
        line = next(line for line in picker_lines(app) if "HOUSEBOUND" in line)
        print(size, repr(line))
        if size == (120, 40):
            assert line.endswith(LONG)  # the whole description, nothing cut
        else:
            assert line.endswith("...") and LONG[:20] in line  # cut, with a mark


async def test_group_picker_escape_keeps_the_previous_choice() -> None:
    app = make_app(FakeServices())
    async with app.run_test() as pilot:
        form = await open_form(pilot)
        form.query_one("#group").focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, GroupPickerModal))
        await pilot.press("down", "down", "escape")
        await wait_for(pilot, lambda: app.screen is form)
        assert form.group is None


# ----- 5-6: running, pause/resume/stop, completion ---------------------------------------------


async def test_deferred_start_shows_scheduled_then_runs() -> None:
    services = FakeServices(patients=50)
    app = make_app(services)
    async with app.run_test() as pilot:
        await open_bulk(pilot)

        async def defer(pilot) -> None:
            # Within the fake card's session (till 19:28): a later start is refused.
            await choose_deferred_start(pilot, "01/05/2026", "18:00")

        await start_run(pilot, before_ok=defer)
        await wait_for(pilot, lambda: app.live.state.status is RunStatus.SCHEDULED)
        text = screen_text(app)
        assert "Scheduled: starts 01/05/2026 18:00" in text
        assert "Start 01/05/2026 18:00" in text
        services.start_scheduled_now()
        await wait_for(pilot, lambda: isinstance(app.screen, MessageModal))
        assert app.screen.text.startswith("Process completed.")
        failed = services.counts()[Bucket.FAILED]
        assert f"{failed} patients Failed. To resend" in app.screen.text


async def test_worker_error_becomes_a_message_not_a_crash() -> None:
    services = FakeServices(fail_after=20)
    app = make_app(services)
    async with app.run_test() as pilot:
        await open_bulk(pilot)
        await start_run(pilot)
        await wait_for(pilot, lambda: isinstance(app.screen, MessageModal))
        assert app.screen.has_class("-error")
        assert "415 Unsupported Media Type" in app.screen.text
        assert app.is_running
        await pilot.press("enter", "c")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkTransmissionScreen))


# ----- the card ---------------------------------------------------------------------------------


async def test_login_with_several_roles_asks_which_role() -> None:
    card = FakeCard(state=CardState.NO_CARD, roles=(GP, ADMIN), role_id=None)
    services = FakeServices(card=card)
    app = make_app(services)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, FrontScreen))
        assert "No smartcard" in screen_text(app)
        await pilot.press("f4")
        await wait_for(pilot, lambda: passcode_ready(app))
        await pilot.press("1", "2", "3", "4", "f2")
        await wait_for(pilot, lambda: isinstance(app.screen, RoleModal))
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.live.state.card.state is CardState.LOGGED_IN)
        assert services.calls[-1] == f"choose_role:{ADMIN.role_profile_id}"
        assert "Logged in as Dr Ann Smith (System Administrator, B0062), 9h 58m left" in (
            screen_text(app)
        )


async def test_card_removed_while_passcode_dialog_open_closes_it() -> None:
    services = FakeServices(card=FakeCard(state=CardState.INSERTED, role_id=None))
    app = make_app(services)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: passcode_ready(app))
        services.toggle_simulated_card()
        await wait_for(pilot, lambda: isinstance(app.screen, FrontScreen))


# ----- 7: leaving, help, palette ----------------------------------------------------------------


async def test_simulated_card_key_is_shown_only_for_a_simulated_card() -> None:
    app = make_app(FakeServices(card=FakeCard(simulated=False)))
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, FrontScreen))
        assert app.check_action("toggle_card", ()) is False
        assert "simulated card" not in screen_text(app)
