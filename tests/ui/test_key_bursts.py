"""Keys that arrive in one burst (as SSH delivers them under lag) apply in the order typed:
a Backspace followed at once by a digit edits the right character, in every input.

The keys go to the driver back to back, without waiting for the app between them (Pilot.press
waits after each key, which hides the bug: Textual issue #6605)."""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Input

from scrtui.services import CardState
from scrtui.ui.app import ScrApp
from scrtui.ui.modals.login import PasscodeModal
from scrtui.ui.modals.schedule import ScheduleModal
from scrtui.ui.screens.reporter import ReporterScreen

from .conftest import make_app, wait_for
from .fake_after_upload import FakeAfterUpload
from .fake_services import FakeCard, FakeServices
from .test_flow_fake import open_bulk

CHARACTERS = {
    "backspace": None,
    "enter": "\r",
    "tab": "\t",
    "end": None,
    "home": None,
    "delete": None,
}


def burst(app: ScrApp, *keys: str) -> None:
    """Every key at once, as one read from the terminal delivers them."""
    driver = app._driver  # noqa: SLF001
    assert driver is not None
    for key in keys:
        event = events.Key(key, CHARACTERS.get(key, key))
        event.set_sender(app)
        driver.send_message(event)


async def test_a_passcode_typed_in_one_burst_after_a_correction_logs_in() -> None:
    """1 2 3 9 Backspace 4 Enter is 1234: no try is lost to a misplaced Backspace."""
    services = FakeServices(card=FakeCard(state=CardState.INSERTED))
    app = make_app(services)
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, PasscodeModal), what="login")
        await wait_for(pilot, lambda: app.focused is not None and app.focused.id == "passcode")
        burst(app, "1", "2", "3", "9", "backspace", "4", "enter")
        await wait_for(pilot, lambda: services.card.state is CardState.LOGGED_IN, what="login")
        assert services.card.tries_left == 3


async def open_form(pilot) -> ScheduleModal:
    await open_bulk(pilot)
    await pilot.press("r")
    await pilot.press("y")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ScheduleModal), what="form")
    return pilot.app.screen


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (("backspace", "9"), "11:59"),
        (("backspace",) * 5 + tuple("10:37"), "10:37"),
        (("home", "backspace", "delete", "2"), "21:58"),
    ],
)
async def test_a_time_corrected_in_one_burst_reads_as_typed(
    keys: tuple[str, ...], expected: str
) -> None:
    app = make_app(FakeServices())
    async with app.run_test() as pilot:
        form = await open_form(pilot)
        stop = form.query_one("#stop", Input)
        stop.value = "11:58"
        stop.focus()
        await pilot.pause()  # focusing selects the whole value: put the cursor at the end
        stop.cursor_position = len(stop.value)
        await pilot.pause()
        burst(app, *keys, "tab")
        await wait_for(pilot, lambda: app.focused is not stop, what="the next field")
        assert stop.value == expected


async def test_keys_typed_after_tab_in_the_same_burst_go_to_the_next_field() -> None:
    """18:00 Tab 08:00, typed fast, fills Stop and Resume (not 18:00 and nothing)."""
    app = make_app(FakeServices())
    async with app.run_test() as pilot:
        form = await open_form(pilot)
        form.query_one("#stop", Input).focus()
        await pilot.pause()
        burst(app, *"18:00", "tab", *"08:00", "enter")
        resume = form.query_one("#resume", Input)
        await wait_for(pilot, lambda: app.focused is not resume and resume.value, what="resume")
        assert form.query_one("#stop", Input).value == "18:00"
        assert resume.value == "08:00"


async def test_a_search_corrected_in_one_burst_reads_as_typed() -> None:
    app = make_app(FakeAfterUpload())
    async with app.run_test() as pilot:
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, ReporterScreen), what="reporter")
        search = app.screen.query_one("#report-search", Input)
        search.focus()
        await pilot.pause()
        burst(app, *"smiht", "backspace", "backspace", "t", "h")
        await wait_for(pilot, lambda: search.value.endswith("h"), what="the search")
        assert search.value == "smith"
