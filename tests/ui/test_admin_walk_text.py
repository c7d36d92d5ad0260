"""Issue 22 (the administrator's second walk), "Text and keys": the status bar at 80x24, the
pause reason once the card is back, and the running figures while paused."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from textual.widgets import Input, OptionList, Static

from scrtui.domain.progress import RunStatus
from scrtui.domain.session_text import CARD_OUT
from scrtui.domain.uploads import KINDS, NO_LONGER_CONTRIBUTING
from scrtui.settings import Settings
from scrtui.ui.modals.confirm import ConfirmModal
from scrtui.ui.screens.bulk import BulkTransmissionScreen
from scrtui.ui.screens.upload import UploadScreen
from scrtui.ui.status_fit import fit_status_bar

from .conftest import LINUX_CONSOLE, make_app, wait_for
from .fake_services import FakeServices, fixed_snapshot
from .real_services import real_services
from .test_flow import SLOW, open_bulk, passcode_ready, run_under_way, start_run, text_of
from .test_snapshots import upload

OUTAGE = (
    "the MHS at http://127.0.0.1:8080/ answers 500 Internal Server Error since 02:11: nobody "
    "is marked Failed for it; next try 02:19, and the run stops if it lasts until 02:41"
)
SCHEDULE = "Start immediately; pause 19:00, resume 07:00 daily"


def bar_lines(app) -> list[str]:
    return str(app.screen.query_one("#status-bar", Static).content).split("\n")


def whole_words(lines: list[str], full: str, mark: str = "…") -> bool:
    """Every word the bar shows is a word of `full` (nothing cut inside a word)."""
    words = set(full.split())
    return all(word in words for line in lines for word in line.split() if word != mark)


# ----- the fitting, on its own ---------------------------------------------------------------


def test_a_status_that_fits_keeps_one_line_with_its_schedule() -> None:
    assert fit_status_bar("Initial Upload: Running", ["next: pause at 19:00"], 78) == (
        "Initial Upload: Running  |  next: pause at 19:00"
    )


def test_a_long_schedule_gives_way_to_its_next_event_before_a_second_line() -> None:
    text = fit_status_bar(
        "Initial Upload: Running", [f"{SCHEDULE}; next: pause at 04/12/2026 19:00",
                                    "next: pause at 04/12/2026 19:00"], 78
    )  # fmt: skip
    assert text == "Initial Upload: Running  |  next: pause at 04/12/2026 19:00"


def test_a_long_reason_takes_two_lines_broken_between_words() -> None:
    status = f"Initial Upload: Paused: {CARD_OUT}"
    lines = fit_status_bar(status, [SCHEDULE], 78).split("\n")
    assert len(lines) == 2 and all(len(line) <= 78 for line in lines)
    assert " ".join(lines) == status  # the whole reason; the schedule is in the running view


def test_what_does_not_fit_two_lines_is_cut_after_a_whole_word_with_a_mark() -> None:
    status = f"Initial Upload: Paused: {OUTAGE}"
    lines = fit_status_bar(status, [], 60).split("\n")
    assert len(lines) == 2 and all(len(line) <= 60 for line in lines)
    assert lines[-1].endswith(" …") and whole_words(lines, status)
    ascii_lines = fit_status_bar(status, [], 60, ascii_only=True).split("\n")
    assert ascii_lines[-1].endswith(" ~")


# ----- on screen at 80x24 --------------------------------------------------------------------


async def test_at_80_columns_the_pause_reason_is_whole_in_the_status_bar() -> None:
    """Issue 22: "... enter the pas" at 80 columns."""
    paused = fixed_snapshot(status=RunStatus.PAUSED, reason=CARD_OUT, eta=None)
    app = make_app(FakeServices(hold=True, fixed=paused), environ=LINUX_CONSOLE)
    async with app.run_test(size=(80, 24)) as pilot:
        await upload(pilot)
        await wait_for(pilot, lambda: len(bar_lines(app)) == 2, what="a two-line status bar")
        lines = bar_lines(app)
        full = f"Initial Upload: Paused: {CARD_OUT}"
        assert all(len(line) <= 78 for line in lines), lines
        assert " ".join(lines) == full
        # The running view still fits: its last row (the MHS) is on screen.
        mhs = app.screen.query_one("#upload-mhs", Static)
        assert mhs.region.bottom <= app.screen.query_one("#upload-window").region.bottom - 1
        assert mhs.region.height >= 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, BulkTransmissionScreen))
        assert " ".join(bar_lines(app)) == full  # on every screen


async def test_a_reason_too_long_for_the_bar_is_cut_between_words_and_whole_in_the_window():
    paused = fixed_snapshot(status=RunStatus.PAUSED, reason=OUTAGE, eta=None)
    app = make_app(FakeServices(hold=True, fixed=paused), environ=LINUX_CONSOLE)
    async with app.run_test(size=(80, 24)) as pilot:
        await upload(pilot)
        await wait_for(pilot, lambda: len(bar_lines(app)) == 2, what="a two-line status bar")
        lines = bar_lines(app)
        assert all(len(line) <= 78 for line in lines), lines
        assert lines[-1].endswith(" ~") and whole_words(
            lines, OUTAGE + " Initial Upload: Paused:", "~"
        )
        status = text_of(app, "#upload-status")
        assert status == f"Paused: {OUTAGE}"  # the running view's Status row wraps it whole
        row = app.screen.query_one("#upload-status", Static)
        assert row.region.height >= 2


# ----- the card back in the reader -----------------------------------------------------------


async def test_once_the_card_is_back_the_status_says_so_not_reinsert(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path, **SLOW) as services:
        app = make_app(services, clock=datetime.now)
        async with app.run_test(size=(80, 24)) as pilot:
            await run_under_way(pilot)
            await pilot.press("f4")  # remove the simulated card
            await wait_for(pilot, lambda: app.live.state.status is RunStatus.PAUSED)
            await wait_for(pilot, lambda: "reinsert" in app.live.state.snapshot.reason)
            await pilot.press("f4")  # back: the passcode dialog opens by itself
            await wait_for(pilot, lambda: passcode_ready(app))
            await wait_for(
                pilot, lambda: "card back" in app.live.state.snapshot.reason, what="card back"
            )
            window = next(s for s in app.screen_stack if isinstance(s, UploadScreen))

            def status() -> str:
                return str(window.query_one("#upload-status", Static).content)

            # The widgets follow the app's poll, which a loaded machine may run a moment later.
            await wait_for(pilot, lambda: "card back" in status(), what="the Status row")
            assert status() == "Paused: card back: enter the passcode to continue"
            await wait_for(
                pilot,
                lambda: "card back" in str(window.query_one("#status-bar", Static).content),
                what="the status bar",
            )
            bar = str(window.query_one("#status-bar", Static).content)
            assert "card back" in bar and "reinsert" not in bar.lower()
            await pilot.press("1", "2", "3", "4", "enter")
            await wait_for(pilot, lambda: app.live.state.status is RunStatus.RUNNING)


# ----- the figures while paused --------------------------------------------------------------


async def test_while_paused_the_rate_says_paused_and_the_average_is_named_a_rate() -> None:
    paused = fixed_snapshot(
        status=RunStatus.PAUSED, reason="by the user; press p (Resume) to continue", eta=None,
        rate_per_second=306.0, avg_seconds_per_patient=0.005,
    )  # fmt: skip
    app = make_app(FakeServices(hold=True, fixed=paused))
    async with app.run_test(size=(80, 24)) as pilot:
        await upload(pilot)
        figures = str(app.screen.query_one("#run-figures", Static).content)
        rows = dict((line[:32].strip(), line[32:].strip()) for line in figures.split("\n"))
        assert rows["Rate (last 10 s)"] == "paused"
        assert rows["Average rate while sending"] == "200 patients/s"
        assert "Average upload time per patient" not in figures


# ----- GP Summary Bulk Transmission ----------------------------------------------------------


def panel_title(app) -> str:
    return str(app.screen.query_one("#bulk-right").border_title)


async def test_the_chosen_uploads_panel_is_boxed_and_titled_with_its_name() -> None:
    """Issue 22: beside the list, "Initial Upload   Status Idle" read as one row."""
    app = make_app(FakeServices(), environ=LINUX_CONSOLE)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_bulk(pilot)
        panel = app.screen.query_one("#bulk-right")
        uploads = app.screen.query_one("#upload-list", OptionList)
        assert panel_title(app) == "Initial Upload"
        assert panel.styles.border_left[0] != ""  # its own box, apart from the list
        assert panel.region.x >= uploads.region.right
        status = app.screen.query_one("#bulk-status", Static)
        assert status.region.x > panel.region.x  # inside the box's border
        uploads.highlighted = 1
        await wait_for(pilot, lambda: panel_title(app) == "Bulk Update", what="retitled")
        await pilot.press("end")
        await wait_for(pilot, lambda: app.screen.upload == NO_LONGER_CONTRIBUTING)
        # Longer than the box at 80 columns: cut with the console's mark, never mid-frame.
        await wait_for(pilot, lambda: panel_title(app).endswith("~"), what="cut title")
        assert "Practice No Longer Contributing to SCR".startswith(panel_title(app)[:-1])
        assert len(panel_title(app)) <= panel.outer_size.width - 6


async def test_down_on_the_last_upload_stays_on_it_and_up_on_the_first_too() -> None:
    app = make_app(FakeServices())
    async with app.run_test(size=(80, 24)) as pilot:
        await open_bulk(pilot)
        uploads = app.screen.query_one("#upload-list", OptionList)
        await pilot.press("up")
        await pilot.pause()
        assert uploads.highlighted == 0 and app.screen.upload == "initial"
        for _ in range(len(KINDS) + 2):
            await pilot.press("down")
        await wait_for(pilot, lambda: app.screen.upload == NO_LONGER_CONTRIBUTING)
        assert uploads.highlighted == len(KINDS) - 1  # not round to the first
        await pilot.press("enter")  # on to the options, which stop at their ends too
        options = app.screen.query_one("#option-menu", OptionList)
        await wait_for(pilot, lambda: options.has_focus, what="options")
        await pilot.press("up")
        assert options.highlighted == 0
        for _ in range(6):
            await pilot.press("down")
        assert options.highlighted == options.option_count - 1


async def test_under_pnlc_gp_summary_off_is_said_as_the_expected_state() -> None:
    services = FakeServices(settings=Settings(card_backend="simulated", gp_summary_enabled=False))
    app = make_app(services)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_bulk(pilot)
        status = app.screen.query_one("#bulk-status", Static)
        await wait_for(pilot, lambda: "not enabled" in str(status.content), what="initial")
        app.screen.query_one("#upload-list", OptionList).highlighted = len(KINDS) - 1
        await wait_for(pilot, lambda: "as this upload needs" in str(status.content), what="pnlc")
        text = str(status.content)
        assert "not enabled" not in text and "it can run" in text
        assert str(app.screen.query_one("#upload-note", Static).content) == ""


# ----- the time left with a daily pause ------------------------------------------------------


async def test_the_time_left_shown_adds_the_daily_pause_before_the_end(
    seeded_home: Path, tmp_path: Path
) -> None:
    """Issue 22: the ETA ignored the pause window. One message a second leaves minutes of
    sending, so the pause starting in a minute or two falls before the end: eight hours more."""
    async with real_services(seeded_home, tmp_path, rate_limit=1, concurrency=1) as services:
        app = make_app(services, clock=datetime.now)
        stop = datetime.now() + timedelta(minutes=2)
        resume = stop + timedelta(hours=8)

        async def window(pilot) -> None:
            form = app.screen
            form.query_one("#stop", Input).value = f"{stop:%H:%M}"
            form.query_one("#resume", Input).value = f"{resume:%H:%M}"

        async with app.run_test(size=(80, 24)) as pilot:
            await open_bulk(pilot)
            await start_run(pilot, before_ok=window)

            def eta_hours() -> int:
                s = app.live.state.snapshot
                return int(s.eta.total_seconds() // 3600) if s.eta is not None else -1

            await wait_for(pilot, lambda: eta_hours() >= 8, timeout=60, what="the pause in")
            figures = str(app.screen.query_one("#run-figures", Static).content)
            assert "Time left (ETA)                 08:" in figures, figures
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), what="stop")
            await pilot.press("y")
            await wait_for(pilot, lambda: not app.live.state.active, timeout=60, what="stopped")
