"""The wording and formatting helpers behind the screens (no Textual needed)."""

from __future__ import annotations

from datetime import datetime, timedelta

from scrtui.domain.progress import RunStatus, Snapshot, StopReason
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.run_tally import RunTally
from scrtui.services import CardState, CardView, GroupInfo
from scrtui.ui import text as t
from scrtui.ui.modals.group_picker import group_prompt, matches
from scrtui.ui.terminal import detect


def logged_in(**changes) -> CardView:
    values = dict(
        state=CardState.LOGGED_IN,
        user_name="Dr Ann Smith",
        role_name="R8000 System Administrator",
        has_b0062=True,
        time_left=timedelta(hours=9, minutes=58, seconds=40),
    )
    values.update(changes)
    return CardView(**values)


def test_card_text_logged_in_shortens_to_fit_but_keeps_the_time_left() -> None:
    view = logged_in()
    full = "Logged in as Dr Ann Smith (R8000 System Administrator, B0062), 9h 58m left"
    assert t.card_text(view) == full
    assert t.card_text(view, width=len(full)) == full
    shorter = "Dr Ann Smith (R8000 System Administrator, B0062), 9h 58m left"
    assert t.card_text(view, width=len(shorter)) == shorter
    assert t.card_text(view, width=40) == "Dr Ann Smith (B0062), 9h 58m left"
    assert t.card_text(logged_in(has_b0062=False), width=40) == (
        "Dr Ann Smith (no B0062), 9h 58m left"
    )
    assert t.card_text(view, width=20) == "Dr Ann Smith (B0062…"  # cut with a mark
    assert t.card_text(view, width=20, ascii_only=True) == "Dr Ann Smith (B0062~"


def test_card_text_other_states_say_what_to_do() -> None:
    view = CardView(state=CardState.LOCKED, message="Reinsert the card")
    assert t.card_text(view) == "Card removed: reinsert the card"  # said once
    inserted = CardView(state=CardState.INSERTED, message="Enter the passcode to log in")
    assert t.card_text(inserted) == "Card inserted: enter the passcode to log in"
    assert t.card_text(inserted, width=20) == "Card inserted: ente…"
    assert t.card_text(CardView(state=CardState.NO_SERVICE)) == "PC/SC service not running"
    assert t.card_level(view) == "-attention"
    assert t.card_level(CardView(state=CardState.NO_READER)) == "-bad"
    assert t.card_level(logged_in()) == "-ok"
    assert t.card_level(logged_in(has_b0062=False)) == "-attention"


def test_card_problem_names_what_is_missing() -> None:
    assert t.card_problem(logged_in()) is None
    assert "B0062" in (t.card_problem(logged_in(has_b0062=False)) or "")
    assert "press F3" in (t.card_problem(CardView(state=CardState.INSERTED)) or "")
    assert "expired" in (t.card_problem(CardView(state=CardState.EXPIRED)) or "")
    assert "No smartcard session" in (t.card_problem(CardView(state=CardState.NO_CARD)) or "")
    assert "role" in (t.card_problem(logged_in(needs_role_choice=True)) or "")


def test_figures() -> None:
    assert t.average_rate(None) == "-"
    assert t.average_rate(0.005) == "200 patients/s"
    assert t.average_rate(2.0) == "30.0 patients/min"
    assert t.rate(0) == "-"
    assert t.rate(0.5) == "30.0 patients/min"
    assert t.rate(12.34) == "12.3 patients/s"
    assert t.rate(2559.5) == "2,560 patients/s"
    assert t.eta(None) == "--:--:--"
    assert t.session_left(timedelta(minutes=61, seconds=59)) == "1h 01m"


def test_status_and_schedule_lines() -> None:
    snap = Snapshot(
        status=RunStatus.PAUSED,
        reason="the smartcard was removed",
        schedule_text="Start immediately",
        next_event_text="resume at 08:00",
    )
    assert t.status_line(snap) == "Paused: the smartcard was removed"
    assert t.schedule_line(snap) == "Start immediately; next: resume at 08:00"
    assert t.status_line(Snapshot()) == "Idle"


def test_end_of_run_messages() -> None:
    done = Snapshot(status=RunStatus.STOPPED, reason="completed", run=RunTally(sent=5))
    assert t.finished_message(done) == ("SCR Upload", "Process completed.")
    stopped = Snapshot(status=RunStatus.STOPPED, reason="stopped by the user", started=True)
    assert "Resume" in t.finished_message(stopped)[1]
    fatal = Snapshot(status=RunStatus.STOPPED, reason="fatal error", fatal_message="404 from MHS")
    title, message = t.finished_message(fatal)
    assert title == "Upload stopped" and message.startswith("404 from MHS\n\n")
    assert t.worker_error_message(ValueError("no"), started=False) == (
        "Upload not started",
        "The upload did not start: no",
    )
    assert t.worker_error_message(ValueError("boom"), started=True)[0] == "Upload stopped"


def test_the_completion_message_counts_the_run_not_the_practice() -> None:
    """issue 22 bugs 8 and 12: the practice's 3 Failed are not this group run's; a run that
    sent nothing says why."""
    practice = {Bucket.FAILED: 3, Bucket.UNPROCESSED: 4913}
    clean = Snapshot(status=RunStatus.STOPPED, reason="completed", counts=practice,
                     run=RunTally(sent=20))  # fmt: skip
    assert t.finished_message(clean)[1] == "Process completed."
    failed = Snapshot(status=RunStatus.STOPPED, reason="completed", counts=practice,
                      run=RunTally(sent=20, failed=1))  # fmt: skip
    assert "1 patient Failed." in t.finished_message(failed)[1]
    nothing = Snapshot(
        status=RunStatus.STOPPED,
        reason="completed",
        upload="bulk-deregistration",
        run=RunTally(not_required=87, reasons=(("NR08 No GP Summary sent by this practice", 87),)),
    )
    title, text = t.finished_message(nothing)
    assert title == "SCR Upload - Bulk Deregistration"
    assert text.startswith("Process completed.\n\nNothing was sent: all 87 patients")
    assert "NR08 No GP Summary sent by this practice" in text


def test_a_schedule_cancelled_before_it_starts_has_its_own_words() -> None:
    """issue 22 bug 9: no "Resume continues" for a run that never started."""
    cancelled = Snapshot(status=RunStatus.STOPPED, reason=StopReason.CANCELLED.value, mode=Mode.RUN)
    title, text = t.finished_message(cancelled)
    assert title == "Scheduled upload cancelled"
    assert "nothing was sent and there is nothing to resume" in text
    assert "Resume" not in text
    lines = t.last_run_lines(
        t.LastRun(user_name="A", role="R8000", mode=t.Mode.RUN, started_at=None,
                  ended_at=None, outcome="x", scheduled_for=datetime(2026, 12, 3, 23, 50)),
    )  # fmt: skip
    assert lines[1] == "Not started (scheduled for 03/12/2026 23:50)"


def test_exit_and_window_wording() -> None:
    assert t.EXIT_QUESTION == "Are you sure you want to exit the application?"
    assert t.PROCESS_COMPLETED == "Process completed."
    assert t.window_title(t.Mode.FAILED) == "SCR Upload - Failed"


def test_group_prompt_fits_one_line_and_filter_matches_name_or_description() -> None:
    group = GroupInfo("DIABETES", "Patients on the diabetes register " * 3, 1234, False)
    prompt = group_prompt(group)
    assert len(prompt) <= 64 and prompt.endswith("...")
    assert prompt.startswith("DIABETES     1,234 patients  Patients on")
    assert matches(group, "diab") and matches(group, "REGISTER") and not matches(group, "asthma")
    assert matches(group, "  ")


def test_terminal_traits() -> None:
    assert detect({"TERM": "linux"}).ascii_only
    assert detect({"TERM": "linux"}).sixteen_colours
    assert detect({"TERM": "screen"}).sixteen_colours
    assert not detect({"TERM": "screen"}).ascii_only
    assert not detect({"TERM": "tmux-256color"}).sixteen_colours
    assert not detect({"TERM": "xterm-256color"}).sixteen_colours
    assert detect({"TERM": "xterm-256color", "TEXTUAL_COLOR_SYSTEM": "standard"}).sixteen_colours


def test_the_kept_stop_time_says_its_day() -> None:
    """issue 22 bug 11: 10:35 kept at 11:49 means tomorrow, and says so."""
    now = datetime(2026, 12, 3, 11, 49)
    assert t.kept_window_note(now, "10:35", "") == (
        "Stop and Resume from the run being resumed: it stops at 10:35 tomorrow "
        "(04/12/2026); change or clear them."
    )
    assert "pauses at 18:00 today (03/12/2026)" in t.kept_window_note(now, "18:00", "08:00")
    assert t.kept_window_note(now, "", "") == t.WINDOW_KEPT


def test_the_countdown_says_under_a_minute_in_the_last_minute() -> None:
    """issue 22: "(in 1m)" at the last second; the screens' clock is to the minute."""
    start = datetime(2026, 12, 4, 2, 0)
    scheduled = Snapshot(status=RunStatus.SCHEDULED, reason="starts 04/12/2026 02:00",
                         next_event=start)  # fmt: skip
    assert t.status_line(scheduled, datetime(2026, 12, 4, 1, 59)).endswith("(in under a minute)")
    assert t.status_line(scheduled, datetime(2026, 12, 4, 1, 58)).endswith("(in 2m)")
    assert t.countdown(timedelta(hours=16, minutes=30)) == "16h 30m"


def test_a_saved_group_is_told_the_option_that_resends_its_bucket() -> None:
    """issue 22: "Failed (or Rerun)" was advised for Not Required patients (Run checks them)."""
    not_required = t.group_saved_message("NR", 4, "Initial Upload", Bucket.NOT_REQUIRED)
    assert "Initial Upload > Run (it checks Not Required patients again)" in not_required
    assert "Failed" not in not_required
    assert "> Failed, and" in t.group_saved_message("F", 2, "Initial Upload", Bucket.FAILED)
    assert "Failed (or Rerun)" in t.group_saved_message("ALL", 9, "Initial Upload", None)
