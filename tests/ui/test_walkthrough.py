"""Issue 13: what got in the way of an administrator's first use, one test per bug, driven by
keys against the fixed-state fakes (tests/ui/fake_services.py) where a state must be exact, and
the real services (tests/ui/real_services.py) where the engine, card or store decide."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from textual.widgets import Input, RadioButton, RichLog, Static

from scrtui.domain.progress import RunStatus
from scrtui.services import CardState
from scrtui.standins.simulator import SimulatorConfig
from scrtui.ui.modals.confirm import ConfirmModal
from scrtui.ui.modals.login import PasscodeModal
from scrtui.ui.modals.message import MessageModal
from scrtui.ui.modals.schedule import ScheduleModal
from scrtui.ui.screens.bulk import BulkTransmissionScreen
from scrtui.ui.screens.front import FrontScreen
from scrtui.ui.screens.log_viewer import TAIL_LINES, LogScreen
from scrtui.ui.screens.upload import UploadScreen

from .conftest import make_app, wait_for
from .fake_after_upload import FakeAfterUpload
from .fake_services import FakeServices
from .real_services import real_services
from .test_flow import (
    SLOW,
    finish,
    on,
    open_bulk,
    passcode_ready,
    real_app,
    run_under_way,
    start_run,
    text_of,
)


async def open_form(pilot, key: str = "r") -> ScheduleModal:
    app = pilot.app
    await pilot.press(key)
    await wait_for(pilot, lambda: on(app, ConfirmModal), what="confirmation")
    await pilot.press("y")
    await wait_for(pilot, lambda: on(app, ScheduleModal), what="SCR Upload form")
    return app.screen


async def stop_confirmed(pilot) -> None:
    """From the SCR Upload window: s, Yes, and the run's end message."""
    await pilot.press("s")
    await wait_for(pilot, lambda: on(pilot.app, ConfirmModal))
    await pilot.press("y")
    await finish(pilot)


# ----- bug 2: the schedule line says "next:" once ---------------------------------------------


async def test_the_schedule_line_says_next_once(seeded_home: Path, tmp_path: Path) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        # Within the card session (10 hours): a later start is refused (issue 22 bug 1).
        start = (datetime.now() + timedelta(hours=2)).replace(second=0, microsecond=0)
        stop = start + timedelta(hours=3)
        async with app.run_test() as pilot:
            await open_bulk(pilot)

            async def defer(pilot) -> None:
                form = app.screen
                form.query_one("#start-choice").focus()
                await pilot.press("down")
                form.query_one("#start-date", Input).value = f"{start:%d/%m/%Y}"
                form.query_one("#start-time", Input).value = f"{start:%H:%M}"
                form.query_one("#stop", Input).value = f"{stop:%H:%M}"

            await start_run(pilot, before_ok=defer)
            await wait_for(pilot, lambda: app.live.state.status is RunStatus.SCHEDULED)
            await wait_for(pilot, lambda: "next:" in text_of(app, "#upload-schedule"))
            for where in ("#upload-schedule", "#status-bar"):
                line = text_of(app, where)
                assert line.count("next:") == 1, line
                assert f"next: start at {start:%d/%m/%Y %H:%M}" in line
            # and a countdown to the start
            assert "(in " in text_of(app, "#upload-status")
            await stop_confirmed(pilot)


# ----- bug 4: a past start says what works ----------------------------------------------------


async def test_a_past_start_says_what_works_and_immediately_does() -> None:
    app = make_app(FakeServices())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_bulk(pilot)
        form = await open_form(pilot)
        form.query_one("#start-choice").focus()
        await pilot.press("down")  # At
        form.query_one("#start-date", Input).value = "30/04/2026"  # the day before FIXED_NOW
        form.query_one("#start-time", Input).value = "09:00"
        await pilot.press("f2")
        await pilot.pause()
        error = str(form.query_one("#schedule-error", Static).content)
        assert "in the past" in error
        assert "leave it blank" not in error
        assert "start immediately" in error
        form.query_one("#start-choice").focus()
        await pilot.press("up")  # Immediately: what the message says works
        await wait_for(pilot, lambda: not form.deferred, what="Immediately chosen")
        await pilot.press("f2")
        await wait_for(pilot, lambda: on(app, UploadScreen), what="the upload window")


# ----- bug 5: u while paused says to stop it, not to pause it ---------------------------------


async def test_another_option_while_paused_says_stop_not_pause(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path, **SLOW) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await run_under_way(pilot)
            await pilot.press("p")
            await wait_for(pilot, lambda: app.live.state.status is RunStatus.PAUSED)
            await pilot.press("escape")
            await wait_for(pilot, lambda: on(app, BulkTransmissionScreen))
            await pilot.press("u")
            await wait_for(pilot, lambda: on(app, MessageModal))
            said = app.screen.text
            assert "already paused" in said and "stop it there" in said
            assert "pause" not in said.replace("paused", "")
            await pilot.press("escape", "v")
            await wait_for(pilot, lambda: on(app, UploadScreen))
            await stop_confirmed(pilot)


# ----- bug 6: p with the card removed says how to continue, in one sentence -------------------


async def test_resume_with_the_card_removed_says_how_to_continue(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path, **SLOW) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await run_under_way(pilot)
            await pilot.press("p")
            await wait_for(pilot, lambda: app.live.state.status is RunStatus.PAUSED)
            await pilot.press("f4")  # remove the card
            await wait_for(pilot, lambda: app.live.state.card.state is CardState.LOCKED)
            await pilot.press("p")  # Resume
            await wait_for(pilot, lambda: on(app, MessageModal))
            said = app.screen.text
            assert "continue the upload" in said and "starting" not in said
            assert "reinsert the same card" in said
            assert said.count(". ") == 0 and said.endswith(".")  # one sentence
            assert ": Card removed" not in said


# ----- bug 7: a blocked card says what to do; the demo can unblock it --------------------------


async def test_a_blocked_card_says_what_to_do_and_the_demo_unblocks_it(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path, logged_in=False) as services:
        app = real_app(services)
        async with app.run_test(size=(80, 24)) as pilot:
            for _ in range(3):
                await wait_for(pilot, lambda: passcode_ready(app), what="passcode dialog")
                await pilot.press("9", "9", "9", "9", "enter")
                await wait_for(
                    pilot,
                    lambda: (
                        not passcode_ready(app) or "Wrong passcode" in text_of(app, "#login-error")
                    ),
                )
                if app.live.state.card.state is CardState.BLOCKED:
                    break
                app.screen.query_one("#passcode", Input).value = ""
            await wait_for(pilot, lambda: app.live.state.card.state is CardState.BLOCKED)
            await wait_for(pilot, lambda: on(app, MessageModal), what="the blocked message")
            assert "Registration Authority" in app.screen.text and "ctrl+u" in app.screen.text
            await pilot.press("escape")
            await wait_for(pilot, lambda: on(app, FrontScreen))
            line = text_of(app, "#card-status")
            assert line.startswith("Card blocked") and "enter" not in line.lower()
            assert "Registration Authority" in line
            await pilot.press("f4", "f4")  # out and in again: still blocked, no dialog
            await wait_for(pilot, lambda: app.live.state.card.state is CardState.BLOCKED)
            await pilot.pause(0.2)
            assert not any(isinstance(s, PasscodeModal) for s in app.screen_stack)
            assert any(b.action == "unblock_card" for b in _shown_bindings(app))
            await pilot.press("ctrl+u")  # the demo's stand-in for the RA: the dialog opens
            await wait_for(pilot, lambda: passcode_ready(app), what="passcode dialog again")
            await pilot.press("1", "2", "3", "4", "enter")
            await wait_for(pilot, lambda: app.live.state.card.state is CardState.LOGGED_IN)


def _shown_bindings(app) -> list:
    return [
        binding
        for _node, binding, enabled, _tip in app.screen.active_bindings.values()
        if enabled and binding.show
    ]


# ----- bug 9: Home in the log reaches the first entry -----------------------------------------


async def test_home_in_the_log_shows_the_first_entry_whole() -> None:
    services = FakeAfterUpload()
    long_entry = "word " * 30  # three screen lines at 80 columns
    services.log_lines = [f"01/05/2026 09:00:00 entry {i} {long_entry}" for i in range(TAIL_LINES)]
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: on(app, FrontScreen))
        await pilot.press("l")
        await wait_for(pilot, lambda: on(app, LogScreen))
        log = app.screen.query_one(RichLog)
        await wait_for(pilot, lambda: len(log.lines) > 0)
        # A long run later: more entries than the log keeps, in batches as they are written.
        for batch in range(4):
            more = [
                f"01/05/2026 10:{batch:02d}:00 entry {batch}-{i} {long_entry}"
                for i in range(TAIL_LINES // 2)
            ]
            services.log_lines = (services.log_lines + more)[-TAIL_LINES:]
            await wait_for(pilot, lambda m=more[-1][:40]: any(m in x.text for x in log.lines[-4:]))
        await pilot.press("home")
        await wait_for(pilot, lambda: log.scroll_y == 0)
        assert log.lines[0].text.startswith("01/05/2026"), log.lines[0].text


# ----- bug 8: during an outage Resume is not offered; since when and the next check are -------


async def test_an_outage_offers_no_resume_and_says_since_when_and_the_next_check(
    seeded_home: Path, tmp_path: Path
) -> None:
    down = SimulatorConfig(outage=True)
    async with real_services(
        seeded_home,
        tmp_path,
        simulator=down,
        concurrency=2,
        backoff_base=0.01,
        backoff_max=0.05,
        outage_after_failures=2,
    ) as services:
        app = real_app(services)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_bulk(pilot)
            await start_run(pilot)
            await wait_for(
                pilot,
                lambda: "next try" in text_of(app, "#upload-status"),
                timeout=30,
                what="the outage pause with its next try",
            )
            status = text_of(app, "#upload-status")
            assert status.startswith("Paused: the MHS at ") and "since " in status
            assert "answers 500 'Error making outbound request'" in status
            offered = [b.action for b in _shown_bindings(app)]
            assert "resume" not in offered and "pause" not in offered
            assert "stop" in offered
            await stop_confirmed(pilot)


# ----- bug 10: the Start choice follows the arrows and shows which is chosen by shape ---------


async def test_the_start_choice_follows_the_arrows_and_marks_the_choice() -> None:
    app = make_app(FakeServices())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_bulk(pilot)
        form = await open_form(pilot)
        now = form.query_one("#start-now", RadioButton)
        at = form.query_one("#start-at", RadioButton)
        assert str(now._button) == "(●)" and str(at._button) == "( )"  # noqa: SLF001
        await pilot.press("down")
        await pilot.pause()
        assert at.value and not now.value  # moving chose it
        assert not form.query_one("#start-date", Input).disabled
        assert str(at._button) == "(●)"  # noqa: SLF001
        await pilot.press("up")
        await pilot.pause()
        assert now.value and form.query_one("#start-date", Input).disabled


def test_space_and_the_arrows_of_the_start_choice_are_in_the_help() -> None:
    from scrtui.ui.keys import KEY_SECTIONS

    rows = dict(dict(KEY_SECTIONS)["SCR Upload - <Option> form"])
    assert "Space" in next(key for key in rows if "Start" in rows[key])
    docs = (Path(__file__).resolve().parents[2] / "docs" / "keys.md").read_text()
    assert "| Up, Down, Space | Start: choose Immediately or At date and time |" in docs


# ----- bug 11: Enter in a field moves on; F2 or the OK button starts ---------------------------


async def test_enter_in_a_field_moves_to_the_next_one_and_does_not_start() -> None:
    services = FakeServices()
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_bulk(pilot)
        form = await open_form(pilot)
        form.query_one("#stop", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert on(app, ScheduleModal) and services.request is None
        assert app.focused is form.query_one("#resume", Input)
        await pilot.press("enter")
        await pilot.pause()
        assert on(app, ScheduleModal) and services.request is None
        form.query_one("#ok").focus()
        await pilot.press("enter")  # Enter on OK starts
        await wait_for(pilot, lambda: on(app, UploadScreen), what="the upload window")
