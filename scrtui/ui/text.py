"""Every sentence the UI shows that must match Vision, and the small formatters for live figures.

Kept free of Textual so the wording and the arithmetic can be unit-tested on their own.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from scrtui.domain import outage
from scrtui.domain.progress import RunStatus, Snapshot, StopReason, format_duration, status_text
from scrtui.domain.prompts import CONFIRMATION, ENABLE_PROMPTS, EXIT_QUESTION, PROCESS_COMPLETED
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.run_tally import RunTally, nothing_sent_text
from scrtui.domain.schedule import ScheduleError, next_at, parse_time
from scrtui.domain.uploads import INITIAL, KINDS, NO_LONGER_CONTRIBUTING, UploadId
from scrtui.services import CardState, CardView, LastRun, ReasonCount

# docs/domain.md §1.2 (the full wording of V-RUN790), the exit question and "Process completed.":
# one copy, in scrtui.domain.prompts, shared with the headless commands.
CONFIRM_PROMPTS: dict[Mode, str] = CONFIRMATION
__all__ = ["CONFIRM_PROMPTS", "EXIT_QUESTION", "PROCESS_COMPLETED"]  # re-exported for screens
STOP_QUESTION = "Stop the upload now?"
# Said before every run (issue 22): the design keeps removal blocking, and says so up front.
CARD_OUT_PAUSES = (
    "Keep your smartcard in the reader: removing it pauses sending until the same card is "
    "back and its passcode entered."
)
BLOCKED_HELP = (
    "This smartcard is blocked (too many wrong passcodes): ask your Registration Authority to "
    "unblock it."
)
CARD_REMOVED_HELP = (
    "The smartcard was removed, so sending is paused. Reinsert the card and enter your "
    "passcode to continue."
)


def upload_label(upload: UploadId) -> str:
    """The upload's name as the Bulk Transmission screen lists it ("Bulk Update")."""
    known = KINDS.get(upload)
    return known.label if known else upload


def window_title(mode: Mode, upload: UploadId = INITIAL) -> str:
    """Vision's "SCR Upload - Run" for the Initial Upload; the other uploads add their name,
    so a window never leaves doubt about which upload it runs."""
    if upload == INITIAL:
        return f"SCR Upload - {mode.label}"
    return f"SCR Upload - {upload_label(upload)} - {mode.label}"


def resume_path(upload: UploadId = INITIAL) -> str:
    """Where Resume is for this upload: "Initial Upload > Resume"."""
    return f"{upload_label(upload)} > Resume"


def exit_during_run(upload: UploadId = INITIAL) -> str:
    """The exit question's detail while `upload` runs: Resume is that upload's own."""
    return (
        f"{upload_label(upload)} is in progress. It will stop safely (nothing already sent is "
        f"lost) and can be resumed later with {resume_path(upload)}."
    )


def stop_detail(upload: UploadId = INITIAL) -> str:
    """The Stop question's detail: the Resume that continues the upload being stopped."""
    return (
        "Nothing is lost: patients already sent stay sent, and the rest can be sent later "
        f"with {resume_path(upload)}."
    )


def card_text(view: CardView, width: int = 0, *, ascii_only: bool = False) -> str:
    """One line for the card status widget: the state, who, their role, whether it holds
    B0062, and how long the session has.

    With a width, a logged-in line is shortened (never the time left or B0062) until it fits;
    anything still too long is cut with a mark. Whether the card is simulated is shown
    separately (right of the title), to fit 80 columns.
    """
    if view.state is not CardState.LOGGED_IN:
        text = card_state_text(view)
        return clip(text, width, ascii_only=ascii_only) if width else text
    who = view.user_name or "unknown user"
    left = f", {session_left(view.time_left)} left" if view.time_left is not None else ""
    rbac = "B0062" if view.has_b0062 else "no B0062"
    role = f" ({view.role_name}, {rbac})" if view.role_name else f" ({rbac})"
    candidates = (
        f"Logged in as {who}{role}{left}",
        f"{who}{role}{left}",
        f"{who} ({rbac}){left}",
    )
    for text in candidates:
        if not width or len(text) <= width:
            return text
    return clip(candidates[-1], width, ascii_only=ascii_only)


def card_state_text(view: CardView) -> str:
    """The state and what to do, said once: "Card inserted: enter the passcode to log in".

    A state label with its own hint ("Card inserted: enter passcode") gives way to the
    detailed message rather than repeating it.
    """
    if not view.message:
        return view.state.value
    label = view.state.value.split(":", 1)[0]
    message = view.message.rstrip(".")
    if ":" in view.state.value:
        return f"{label}: {message[:1].lower()}{message[1:]}"
    return f"{label}. {message}"


def card_level(view: CardView) -> str:
    """A CSS class for the card widget: ok, attention (the user can act) or bad."""
    if view.state is CardState.LOGGED_IN:
        return "-ok" if view.has_b0062 else "-attention"
    if view.state in (CardState.INSERTED, CardState.LOCKED):
        return "-attention"
    return "-bad"


def session_left(value: timedelta) -> str:
    minutes = max(0, int(value.total_seconds()) // 60)
    return f"{minutes // 60}h {minutes % 60:02d}m"


def session_end(now: datetime, view: CardView) -> datetime | None:
    """When the logged-in card session ends (to the minute the card line shows), or None."""
    if view.state is not CardState.LOGGED_IN or view.time_left is None:
        return None
    return now + view.time_left


def card_problem(view: CardView, doing: str = "start the upload") -> str | None:
    """What is missing before an upload may start (or, with doing="continue the upload",
    resume), in one sentence; None when the card is ready."""
    if view.state is not CardState.LOGGED_IN:
        return _no_session_problem(view, doing)
    if view.needs_role_choice:
        return "Choose your role profile first: press F3."
    if not view.has_b0062:
        role = view.role_name or "your current role"
        return (
            f"{role} does not include RBAC activity B0062 (Schedule, manually start, manually "
            "stop and manually restart bulk uploads, including the initial upload). Log in with "
            "a System Administrator role profile that has it."
        )
    return None


def _no_session_problem(view: CardView, doing: str) -> str:
    if view.state is CardState.INSERTED:
        return (
            "Your smartcard is inserted but you are not logged in: press F3 and enter your "
            f"passcode to {doing}."
        )
    if view.state is CardState.LOCKED:
        return (
            "The smartcard was removed, so the session is locked: reinsert the same card and "
            f"enter your passcode to {doing}."
        )
    if view.state is CardState.EXPIRED:
        return (
            "Your smartcard session has expired (10 hours): remove and reinsert the card, "
            f"then log in again to {doing}."
        )
    if view.state is CardState.BLOCKED:
        return f"{BLOCKED_HELP} Then log in with it to {doing}."
    return (
        f"No smartcard session ({view.state.value}): insert your smartcard and log in with "
        f"your passcode to {doing}."
    )


def busy_refusal(status: RunStatus) -> str:
    """Why another option cannot start while an upload is under way: only a stopped upload
    lets another start (a paused one still holds its patients), so say stop, not pause."""
    state = {
        RunStatus.SCHEDULED: "scheduled",
        RunStatus.PAUSED: "paused",
        RunStatus.STOPPING: "stopping",
    }.get(status, "in progress")
    return (
        f"An upload is already {state}. Press v to view it, and stop it there (s) before "
        "choosing another option."
    )


def status_line(snapshot: Snapshot, now: datetime | None = None) -> str:
    """The Status field: the word, then why, e.g. "Paused: the smartcard was removed"; with
    the time, a scheduled start counts down. An outage's reason says itself who answers what,
    since when and the next try (scrtui/domain/outage.py)."""
    text = status_text(snapshot.status.value, snapshot.reason)
    if snapshot.status is RunStatus.SCHEDULED and snapshot.next_event and now is not None:
        return f"{text} (in {countdown(snapshot.next_event - now)})"
    return text


def in_outage(snapshot: Snapshot) -> bool:
    """Paused because the MHS gives no usable answer (the run continues by itself)."""
    return (
        snapshot.status is RunStatus.PAUSED
        and snapshot.outage_since is not None
        and snapshot.reason.startswith(outage.PREFIX)
    )


def countdown(left: timedelta) -> str:
    """Time to go in whole minutes, rounded up: "16h 30m", "5m", "under a minute". The
    screens' clock is to the minute, so one minute left is the last minute (issue 22: "(in
    1m)" at the last second)."""
    minutes = -(-int(left.total_seconds()) // 60)
    if minutes <= 1:
        return "under a minute"
    if minutes < 60:
        return f"{minutes}m"
    return f"{minutes // 60}h {minutes % 60:02d}m"


WINDOW_KEPT = "Stop and Resume from the run being resumed; change or clear them."


def day_of(now: datetime, at: datetime) -> str:
    """ "today", "tomorrow" or the date, for a time the form will act on."""
    if at.date() == now.date():
        return f"today ({at:%d/%m/%Y})"
    if at.date() == now.date() + timedelta(days=1):
        return f"tomorrow ({at:%d/%m/%Y})"
    return f"on {at:%d/%m/%Y}"


def kept_window_note(now: datetime, stop: str, resume: str) -> str:
    """The Resume form's note on the stop time it keeps: a stop time already past today means
    tomorrow, so the date is said (issue 22: 10:35 kept at 11:49)."""
    try:
        stop_at = next_at(now, parse_time(stop)) if stop.strip() else None
    except ScheduleError:
        stop_at = None
    if stop_at is None:
        return WINDOW_KEPT
    then = "pauses" if resume.strip() else "stops"
    return (
        f"Stop and Resume from the run being resumed: it {then} at {stop_at:%H:%M} "
        f"{day_of(now, stop_at)}; change or clear them."
    )


def mhs_line(snapshot: Snapshot) -> str:
    """The running view's MHS row: where the run sends, and how (issue 22)."""
    mode = "asynchronous (acknowledgements by queue)" if snapshot.asynchronous else "synchronous"
    return f"{snapshot.mhs_url}  {mode}" if snapshot.mhs_url else mode


def schedule_line(snapshot: Snapshot) -> str:
    parts = [snapshot.schedule_text] if snapshot.schedule_text else []
    if snapshot.next_event_text:
        parts.append(f"next: {snapshot.next_event_text}")
    return "; ".join(parts)


def average_time(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 0.001:
        return "<1 ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10:
        return f"{seconds:.2f} s"
    return format_duration(timedelta(seconds=seconds))


def rate(per_second: float) -> str:
    if per_second <= 0:
        return "-"
    if per_second < 1:
        return f"{per_second * 60:.1f} patients/min"
    if per_second < 100:
        return f"{per_second:.1f} patients/s"
    return f"{per_second:,.0f} patients/s"


def eta(value: timedelta | None) -> str:
    return format_duration(value)


def group_label(group: str | None) -> str:
    return group if group else "All patients"


def when(value: datetime | None) -> str:
    return f"{value:%d/%m/%Y %H:%M}" if value else "-"


def last_run_lines(last: LastRun | None, upload: UploadId = INITIAL) -> list[str]:
    if last is None:
        return [f"No {KINDS[upload].noun if upload in KINDS else upload} has been run yet."]
    return [
        f"{last.mode.label} by {last.user_name} ({last.role})",
        (
            f"Started {when(last.started_at)}"
            if last.started_at
            else "Not started"
            + (f" (scheduled for {when(last.scheduled_for)})" if last.scheduled_for else "")
        ),
        f"Ended   {when(last.ended_at)}",
        f"Outcome {last.outcome}",
    ]


def demo_rejects_note(rejects: int) -> str:
    return (
        f"Demo: the simulated Spine rejects {patients(rejects)} (PSIS-30418, every time), so "
        "a run ends with Failed ones to find (SCR Reporter, F5), save to a group and resend "
        "(Bulk Uploads > Failed)."
    )


def failed_help(failed: int) -> str:
    """How many the Spine rejected and the way to resend them (domain.md's Failed loop)."""
    return (
        f"{patients(failed)} Failed. To resend: SCR Reporter, F5 shows why; fix them, then "
        "GP Summary Bulk Uploads > Failed (a patient group narrows it)."
    )


def worker_error_message(
    error: BaseException | None, *, started: bool, upload: UploadId = INITIAL
) -> tuple[str, str]:
    """(title, text) when the upload's worker raised instead of returning a snapshot."""
    if not started:
        return ("Upload not started", f"The upload did not start: {error}")
    return (
        "Upload stopped",
        f"The upload stopped: {error}\n\nNothing already sent is lost. Fix the problem, then "
        f"choose {resume_path(upload)}. Details are in logs/scrtui.jsonl.",
    )


def finished_title(upload: UploadId) -> str:
    """The end message's title: Vision's "SCR Upload", with the upload's name after it for
    every upload but the Initial Upload."""
    return "SCR Upload" if upload == INITIAL else f"SCR Upload - {upload_label(upload)}"


def finished_message(snapshot: Snapshot) -> tuple[str, str]:
    """(title, text) of the message shown when the upload's worker returns."""
    resume = resume_path(snapshot.upload)
    if snapshot.fatal_message:
        return (
            "Upload stopped",
            f"{snapshot.fatal_message}\n\nNothing already sent is lost. Fix the cause (the "
            f"settings or the MHS adaptor), then choose {resume}.",
        )
    if snapshot.reason in ("", StopReason.COMPLETED.value):
        return (finished_title(snapshot.upload), completed_text(snapshot.run))
    if never_started(snapshot):
        return (SCHEDULE_CANCELLED_TITLE, not_started_text(snapshot.reason))
    return (
        "Upload stopped",
        f"The upload stopped: {snapshot.reason}. Patients not yet processed can be sent "
        f"later with {resume}.",
    )


def never_started(snapshot: Snapshot) -> bool:
    """A scheduled run that ended before its start time (nobody checked either way, so a
    source that does not say `started` never reads as one)."""
    return snapshot.mode is not None and not snapshot.started and snapshot.checked == 0


def completed_text(run: RunTally) -> str:
    """Vision's "Process completed.", then what this run (not the practice) left to do: its
    own Failed, or why it sent nothing."""
    nothing = nothing_sent_text(run)
    if nothing:
        return f"{PROCESS_COMPLETED}\n\n{nothing}"
    if run.failed:
        return f"{PROCESS_COMPLETED}\n\n{failed_help(run.failed)}"
    return PROCESS_COMPLETED


SCHEDULE_CANCELLED_TITLE = "Scheduled upload cancelled"
CANCEL_SCHEDULE_TITLE = "Cancel the schedule"
CANCEL_SCHEDULE_QUESTION = "Cancel the scheduled upload?"
CANCEL_SCHEDULE_DETAIL = (
    "It has not started: nothing has been sent, and nothing will be. To send later, choose "
    "the option again (Run, Rerun...) and schedule it anew."
)


def not_started_text(reason: str) -> str:
    """A scheduled run that ended before its start time: nothing to resume."""
    if reason == StopReason.CANCELLED.value:
        why = "The scheduled upload was cancelled before it started"
    else:
        why = f"The scheduled upload ended before it started ({reason})"
    return (
        f"{why}: nothing was sent and there is nothing to resume. To send, choose the option "
        "again and schedule it anew."
    )


# ----- after the upload: SCR Reporter, Patient Groups, Settings, the run log ---------------------

# Vision's patient-group question (docs/domain.md §1.4; the store's IN_USE plus Vision's question).
GROUP_IN_USE = "The group name you have chosen is already in use."
OVERWRITE_QUESTION = f"{GROUP_IN_USE} Do you wish to overwrite it?"
SYSTEM_GROUP_REFUSAL = (
    "System groups (names starting with $) are kept by the clinical system: they can be "
    "viewed and used to narrow an upload, but not changed or deleted."
)
SYSTEM_GROUP_NOTE = "A system group: it can be viewed and used for an upload, not changed."

# docs/domain.md §1.10, in order: the first with a Continue button, the second with Confirm.
ENABLE_CONTINUE, ENABLE_CONFIRM = ENABLE_PROMPTS
# Step 3 (log out and back in) is Vision's: it reads the setting at login. scrtui reads it each
# time an upload is chosen, so the change applies at once; the user is told both.
GP_SUMMARY_ON_DONE = (
    "GP Summary messaging is now ON for this practice.\n\n"
    "In Vision the change takes effect when each user next logs in. scrtui applies it at once: "
    "the Initial Upload can be run now from GP Summary Bulk Uploads, without logging out."
)
GP_SUMMARY_OFF_QUESTION = "Turn GP Summary messaging OFF?"
GP_SUMMARY_OFF_DETAIL = (
    "No Initial Upload can be run, and no GP Summary is sent, until it is switched on again. "
    f"{KINDS[NO_LONGER_CONTRIBUTING].label} becomes available (GP Summary Bulk Uploads): "
    "it tells the Spine this practice's summaries will not be updated any more."
)
GP_SUMMARY_OFF_DONE = (
    "GP Summary messaging is now OFF for this practice. The Initial Upload cannot be run until "
    "it is switched on again (SCR > Settings)."
)

MARK_ALL_LIMIT = 5_000
LOG_FOLLOW_SECONDS = 0.5


def patients(n: int) -> str:
    return f"{n:,} patient" + ("" if n == 1 else "s")


def short_time(iso: str | None) -> str:
    """The last attempt in the table, e.g. 01/05 09:30 (the year is in the detail line)."""
    if not iso:
        return ""
    try:
        value = datetime.fromisoformat(iso)
    except ValueError:
        return iso[:11]
    return f"{value:%d/%m %H:%M}"


def long_time(iso: str | None) -> str:
    if not iso:
        return "never"
    try:
        value = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{value:%d/%m/%Y %H:%M:%S}"


def reason_line(code: str | None, text: str | None) -> str:
    """The reason as one string: "30418 Business condition..." (code first), or ""."""
    return " ".join(part for part in (code, text) if part)


def clip(text: str, width: int, *, ascii_only: bool = False) -> str:
    """Cut `text` to `width` characters, marking the cut ("…", or "~" on the Linux console)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return text[:width]
    return text[: width - 1] + ("~" if ascii_only else "…")


def reason_summary(counts: list[ReasonCount], width: int = 66) -> str:
    """One line per reason: the patients, then the reason cut to the dialog's width."""
    if not counts:
        return "No patient is Failed or Not Required."
    lines: list[str] = []
    shown: Bucket | None = None
    for row in counts:
        if row.bucket is not shown:
            total = sum(r.patients for r in counts if r.bucket is row.bucket)
            lines += [""] if lines else []
            lines.append(f"{row.bucket.label}: {patients(total)}")
            shown = row.bucket
        reason = reason_line(row.reason_code, row.reason_text) or "no reason recorded"
        lines.append(clip(f"{row.patients:>7,}  {reason}", width))
    return "\n".join(lines)


def mark_all_message(marked: int, total: int) -> str:
    if total > MARK_ALL_LIMIT:
        return (
            f"Marked the first {marked:,} of {total:,} patients in this view ({MARK_ALL_LIMIT:,} "
            "is the most one key marks). Narrow the view with a search or another bucket, "
            "then mark again."
        )
    return f"Marked {patients(marked)} in this view."


# The option that sends again to patients of a bucket (issue 22: "Failed (or Rerun)" was
# advised for Not Required patients, whom Run checks again).
_RESEND_OPTION = {
    Bucket.FAILED: "Failed",
    Bucket.NOT_REQUIRED: "Run (it checks Not Required patients again)",
    Bucket.SENT: "Rerun",
    Bucket.UNPROCESSED: "Run (or Resume)",
    Bucket.SENDING: "Resume",
}


def group_saved_message(
    name: str, members: int, upload: str = "", bucket: Bucket | None = None
) -> str:
    """`upload`: the label of the upload whose patients these were (the SCR Reporter's);
    `bucket`: the bucket they were marked in (None: several)."""
    where = f"{upload} > " if upload else ""
    option = _RESEND_OPTION.get(bucket, "Failed (or Rerun)") if bucket else "Failed (or Rerun)"
    return (
        f'Group "{name}" now has {patients(members)}.\n\n'
        f"To resend to just them: GP Summary Bulk Uploads > {where}{option}, and "
        f'choose "{name}" as the Group Name.'
    )


def export_message(path: str, rows: int | None = None) -> str:
    count = f"{patients(rows)} " if rows is not None else ""
    return (
        f"The current view {count}was written to:\n{path}\n\n"
        "The file lists patients: it is readable by you only. Delete it when done."
    )


def completion_export_message(paths: list[str]) -> str:
    files = "\n".join(paths)
    return (
        f"The completion report was written to:\n{files}\n\nOpen the .html file in a browser "
        "to print it. It lists the NHS numbers of Failed patients: it is readable by you only."
    )


def delete_group_question(name: str, members: int) -> str:
    return f'Delete the patient group "{name}" ({patients(members)})?'


DELETE_GROUP_DETAIL = "Only the group is deleted: the patients and their records do not change."


# The Bulk Transmission screen's warning while [pds] synchronise is false (docs/pds.md).
PDS_OFF_WARNING = "Warning: PDS synchronisation is off: patients are not checked against PDS."


def demo_pds_note(count: int) -> str:
    """The demo's PDS rehearsal (scrtui/cli/simulator_pds.py: DEMO_PDS_KINDS)."""
    return (
        f"Demo: PDS holds {patients(count)} differently (a surname, a date of birth, a "
        "superseded NHS number...): a run makes them Not Required, with the reason in the "
        "SCR Reporter (F6)."
    )
