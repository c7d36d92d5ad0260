"""The completion report of one upload run: what the practice keeps when the upload is done.

Who ran it, for which practice, which upload, mode and group; when it was scheduled, started,
paused (and why: the card, an MHS outage, its stop/resume window, the user) and stopped; the
upload's counts by bucket (as `scrtui status` shows them), the run's patients by reason code
with the reason's words, the Failed patients by NHS number with what to do, and the rate of
messages over the run. No clinical content beyond the NHS numbers of Failed patients.

Plain data and renderers (text for the screen, CSV rows, a JSON document); the HTML page is in
scrtui/domain/report_html.py; the database side in scrtui/store/completion.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from scrtui.domain import nhs_number
from scrtui.domain import outage as outage_text
from scrtui.domain.progress import StopReason
from scrtui.domain.records import Bucket
from scrtui.domain.uploads import UploadId

FOOTER = (
    "For the practice's records. This report carries no clinical content: the only patient "
    "details in it are the NHS numbers of Failed patients."
)
RETRY_CODE = "RETRY"
TOO_LARGE_CODE = "TOO-LARGE"


@dataclass(frozen=True, slots=True)
class Pause:
    began: datetime
    ended: datetime | None  # None: the run stopped while paused
    cause: str  # "card", "outage", "window", "user", "other"
    reason: str


@dataclass(frozen=True, slots=True)
class ReasonLine:
    bucket: Bucket
    code: str | None
    text: str | None
    patients: int


@dataclass(frozen=True, slots=True)
class FailedPatient:
    nhs_number: str
    code: str | None
    text: str | None

    @property
    def what_to_do(self) -> str:
        return what_to_do(self.code)


@dataclass(frozen=True, slots=True)
class RateSample:
    at: datetime
    checked: int
    messages: int


@dataclass(frozen=True)
class CompletionReport:
    run_id: int
    upload: UploadId
    upload_label: str
    mode: str
    group: str | None
    user_name: str
    sds_user_id: str
    role_profile_id: str
    job_role: str
    ods_code: str
    practice_name: str
    created_at: datetime
    scheduled_for: datetime | None
    window: str  # "stop at 18:00, resume at 07:00", or ""
    started_at: datetime | None
    ended_at: datetime | None
    outcome: str  # "completed", "stopped by the user"..., or "not finished"
    outcome_detail: str
    generated_at: datetime
    upload_counts: dict[Bucket, int] = field(default_factory=dict)  # as `scrtui status`
    run_counts: dict[Bucket, int] = field(default_factory=dict)  # the patients this run took
    reasons: tuple[ReasonLine, ...] = ()
    failed: tuple[FailedPatient, ...] = ()
    pauses: tuple[Pause, ...] = ()
    samples: tuple[RateSample, ...] = ()

    @property
    def title(self) -> str:
        return f"Completion report: {self.upload_label} - {self.mode.capitalize()}"

    @property
    def upload_total(self) -> int:
        return sum(self.upload_counts.values())

    def rates(self) -> list[tuple[datetime, float]]:
        """Messages per second between consecutive samples, at each interval's end."""
        out: list[tuple[datetime, float]] = []
        for before, after in zip(self.samples, self.samples[1:], strict=False):
            seconds = (after.at - before.at).total_seconds()
            if seconds > 0:
                out.append((after.at, max(0, after.messages - before.messages) / seconds))
        return out

    @property
    def next_step(self) -> str:
        return next_step(self)

    def average_rate(self) -> float | None:
        if len(self.samples) < 2:
            return None
        first, last = self.samples[0], self.samples[-1]
        seconds = (last.at - first.at).total_seconds()
        return (last.messages - first.messages) / seconds if seconds > 0 else None


def pause_cause(reason: str) -> str:
    """What paused the run, from the engine's status reason (scrtui/engine/engine.py _gates)."""
    if reason.startswith(outage_text.PREFIX):  # the adaptor's words may say anything after it
        return "outage"
    lowered = reason.lower()
    if "smartcard" in lowered or "card" in lowered or "passcode" in lowered:
        return "card"
    # "mhs unreachable": how runs before issue 19 said it (older databases' run_event rows);
    # "queue": the acknowledgement queue of async mode (scrtui/engine/async_watch.py).
    if "mhs unreachable" in lowered or "outage" in lowered or "queue" in lowered:
        return "outage"
    if "scheduled pause" in lowered:
        return "window"
    # "by the user; press p ...": the pause's words since issue 22; older rows say "paused by".
    if "paused by the user" in lowered or lowered.startswith("by the user"):
        return "user"
    return "other"


CAUSE_LABELS = {
    "card": "smartcard",
    "outage": "MHS outage",
    "window": "stop/resume window",
    "user": "paused by the user",
    "other": "other",
}


def pauses_of(statuses: list[tuple[datetime, str, str]]) -> tuple[Pause, ...]:
    """(at, status, reason) in order -> each stretch spent in "paused" for one cause as one
    Pause (a new cause while paused starts a new one). An outage's reason changes with every
    probe (its next try); the pause keeps the adaptor's last words, without the next try."""
    out: list[Pause] = []
    open_at: datetime | None = None
    open_reason = ""
    for at, status, reason in statuses:
        if status.lower() == "paused":  # RunStatus.PAUSED's value, "Paused"
            if open_at is not None and pause_cause(reason) == pause_cause(open_reason):
                open_reason = reason
                continue
            if open_at is not None:
                out.append(_pause(open_at, at, open_reason))
            open_at, open_reason = at, reason
        elif open_at is not None:
            out.append(_pause(open_at, at, open_reason))
            open_at = None
    if open_at is not None:
        out.append(_pause(open_at, None, open_reason))
    return tuple(out)


def _pause(began: datetime, ended: datetime | None, reason: str) -> Pause:
    if reason.startswith(outage_text.PREFIX):
        reason = reason.split(outage_text.NEXT_TRY, 1)[0]
    return Pause(began, ended, pause_cause(reason), reason)


# The run stopped itself because of the MHS adaptor (issue 19): nobody is Failed for it, and
# Resume continues with the patients it left (scrtui/engine/engine.py _fatal_answer and
# _outage_step; the adaptor's words are in the outcome detail).
_MHS_ENDINGS = {
    StopReason.OUTAGE.value: (
        "The MHS adaptor gave no usable answer within the outage limit (its words are in the "
        "detail above)"
    ),
    StopReason.MHS_SETUP.value: (
        "The MHS adaptor said its set-up is wrong (its words are in the detail above): fix it first"
    ),
}


def next_step(report: CompletionReport) -> str:
    """What the practice does after this run, as its ending and its waiting patients say."""
    sending = report.run_counts.get(Bucket.SENDING, 0)
    unprocessed = report.run_counts.get(Bucket.UNPROCESSED, 0)
    waiting = sending + unprocessed
    left = (
        f"Resume continues the {waiting:,} patients of this run still waiting (Sending "
        f"{sending:,}, which go again under the same message ids; Unprocessed {unprocessed:,})"
    )
    ending = _MHS_ENDINGS.get(report.outcome)
    if ending is not None:
        rest = left if waiting else "None of this run's patients is waiting"
        return f"{ending}. It marked nobody Failed. {rest}."
    if waiting and report.outcome != StopReason.COMPLETED.value:
        return f"{left}."
    return ""


def what_to_do(code: str | None) -> str:
    if code == RETRY_CODE:
        return (
            "The Spine never answered: check the MHS adaptor, then use Failed (the summary "
            "goes again under the same message id, so it cannot arrive twice)."
        )
    if code == TOO_LARGE_CODE:
        return "Reduce the items in the patient's record, then use Failed."
    return (
        "The Spine refused the summary: correct the patient's record as the reason says, "
        "then use Failed."
    )


def _when(value: datetime | None) -> str:
    return f"{value:%d/%m/%Y %H:%M:%S}" if value else "-"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value else None


def duration(began: datetime, ended: datetime | None) -> str:
    if ended is None:
        return "until the run stopped"
    seconds = int((ended - began).total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"


def text_lines(report: CompletionReport) -> list[str]:
    """The report as the Completion Report screen shows it."""
    r = report
    lines = [
        r.title,
        f"Practice      {r.practice_name} ({r.ods_code})",
        f"Run by        {r.user_name}, SDS user id {r.sds_user_id}",
        f"Role profile  {r.role_profile_id} ({r.job_role})",
        f"Group         {r.group or 'all patients'}",
        f"Scheduled     {_when(r.scheduled_for) if r.scheduled_for else 'start now'}"
        + (f"; {r.window}" if r.window else ""),
        f"Created       {_when(r.created_at)}",
        f"Started       {_when(r.started_at)}",
        f"Stopped       {_when(r.ended_at)}: {r.outcome}",
    ]
    if r.outcome_detail:
        lines.append(f"              {r.outcome_detail}")
    if r.next_step:
        lines.append(f"Next step     {r.next_step}")
    lines.append("")
    lines.append(f"Pauses        {len(r.pauses) or 'none'}")
    for pause in r.pauses:
        lines.append(
            f"  {_when(pause.began)}  {duration(pause.began, pause.ended):<9} "
            f"{CAUSE_LABELS[pause.cause]}: {pause.reason}"
        )
    lines.append("")
    lines.append("Counts         upload now   this run")
    for bucket in Bucket:
        lines.append(
            f"  {bucket.label:<13}{r.upload_counts.get(bucket, 0):>10,}"
            f"{r.run_counts.get(bucket, 0):>11,}"
        )
    lines.append(f"  {'Total':<13}{r.upload_total:>10,}{sum(r.run_counts.values()):>11,}")
    lines.append("")
    lines.append("This run's patients by reason")
    if not r.reasons:
        lines.append("  none Failed or Not Required")
    for line in r.reasons:
        lines.append(f"  {line.patients:>7,}  {line.bucket.label:<13}{line.code or '-':<10}"
                     f"{line.text or ''}")  # fmt: skip
    lines.append("")
    lines.append(f"Failed patients ({len(r.failed)})")
    for patient in r.failed:
        lines.append(
            f"  {nhs_number.format_334(patient.nhs_number)}  {patient.code or '-'}  "
            f"{patient.text or ''}"
        )
        lines.append(f"      What to do: {patient.what_to_do}")
    lines.append("")
    average = r.average_rate()
    rates = [rate for _at, rate in r.rates()]
    lines.append(
        "Message rate  "
        + (
            f"average {average:,.1f}/s, highest {max(rates):,.1f}/s over {len(rates)} samples"
            if average is not None and rates
            else "too short a run to measure"
        )
    )
    lines.append("")
    lines.append(f"Report made {_when(r.generated_at)}. {FOOTER}")
    return lines


def document(report: CompletionReport) -> dict[str, object]:
    """`scrtui report --run last --format json`."""
    r = report
    return {
        "report": "completion",
        "run_id": r.run_id,
        "upload": r.upload,
        "upload_label": r.upload_label,
        "mode": r.mode,
        "group": r.group,
        "run_by": {
            "name": r.user_name,
            "sds_user_id": r.sds_user_id,
            "role_profile_id": r.role_profile_id,
            "job_role": r.job_role,
        },
        "practice": {"ods_code": r.ods_code, "name": r.practice_name},
        "created_at": _iso(r.created_at),
        "scheduled_for": _iso(r.scheduled_for),
        "window": r.window,
        "started_at": _iso(r.started_at),
        "ended_at": _iso(r.ended_at),
        "outcome": r.outcome,
        "outcome_detail": r.outcome_detail,
        "next_step": r.next_step,
        "pauses": [
            {
                "began": _iso(p.began),
                "ended": _iso(p.ended),
                "cause": p.cause,
                "reason": p.reason,
            }
            for p in r.pauses
        ],
        "upload_counts": {b.value: r.upload_counts.get(b, 0) for b in Bucket}
        | {"total": r.upload_total},
        "run_counts": {b.value: r.run_counts.get(b, 0) for b in Bucket},
        "reasons": [
            {"bucket": x.bucket.value, "code": x.code, "text": x.text, "patients": x.patients}
            for x in r.reasons
        ],
        "failed": [
            {"nhs_number": f.nhs_number, "code": f.code, "text": f.text, "what_to_do": f.what_to_do}
            for f in r.failed
        ],
        "rate": [{"at": _iso(at), "messages_per_second": round(v, 2)} for at, v in r.rates()],
        "average_messages_per_second": (
            None if r.average_rate() is None else round(r.average_rate() or 0.0, 2)
        ),
        "generated_at": _iso(r.generated_at),
        "footer": FOOTER,
    }


CSV_COLUMNS = ("section", "item", "code", "text", "value")


def csv_rows(report: CompletionReport) -> list[list[str]]:
    """`scrtui report --run last --format csv`: one table, a section per part of the report."""
    r = report
    rows: list[list[str]] = [
        ["run", "upload", r.upload, r.upload_label, str(r.run_id)],
        ["run", "mode", r.mode, "", ""],
        ["run", "group", "", r.group or "all patients", ""],
        ["run", "run by", r.sds_user_id, r.user_name, r.role_profile_id],
        ["run", "job role", r.job_role, "", ""],
        ["practice", "practice", r.ods_code, r.practice_name, ""],
        ["run", "created", "", _iso(r.created_at) or "", ""],
        ["run", "scheduled for", "", _iso(r.scheduled_for) or "start now", r.window],
        ["run", "started", "", _iso(r.started_at) or "", ""],
        ["run", "stopped", "", _iso(r.ended_at) or "", r.outcome],
        ["run", "detail", "", r.outcome_detail, ""],
        ["run", "next step", "", r.next_step, ""],
    ]
    rows += [
        ["pause", CAUSE_LABELS[p.cause], p.cause, p.reason, f"{_iso(p.began)}/{_iso(p.ended)}"]
        for p in r.pauses
    ]
    rows += [
        ["upload counts", b.label, b.value, "", str(r.upload_counts.get(b, 0))] for b in Bucket
    ]
    rows.append(["upload counts", "Total", "total", "", str(r.upload_total)])
    rows += [["run counts", b.label, b.value, "", str(r.run_counts.get(b, 0))] for b in Bucket]
    rows += [
        ["reason", x.bucket.label, x.code or "", x.text or "", str(x.patients)] for x in r.reasons
    ]
    rows += [["failed", f.nhs_number, f.code or "", f.text or "", f.what_to_do] for f in r.failed]
    rows += [["rate", _iso(at) or "", "", "messages per second", f"{v:.2f}"] for at, v in r.rates()]
    rows.append(["footer", "", "", FOOTER, ""])
    return rows
