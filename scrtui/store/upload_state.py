"""A bulk upload's state in the database: enrolling work, marking, and batched outcomes.

Every function works on one upload (`kind`, an id of scrtui/domain/uploads.py): each upload
has its own row per patient, its own runs and its own status.

Hot paths use raw `executemany` in short transactions: peewee's per-row query building costs
~55 µs a statement (performance-baseline.md §3), the SQL itself ~4 µs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from scrtui.domain.records import Bucket, Mode
from scrtui.domain.uploads import INITIAL, SUMMARY_KINDS, UploadId
from scrtui.store.db import durable
from scrtui.store.groups import find_group
from scrtui.store.models import Run, Upload, database, scalar_int

PENDING = (Bucket.UNPROCESSED.value, Bucket.SENDING.value)
# A failure the Spine never answered: the summary may have arrived, so the id is kept.
NO_ACK_CODE = "RETRY"
# A message id whose delivery is unknown: it may have left (Sending, or Unprocessed/Not Required
# after a run that left it Sending) or the Spine never answered it (Failed with RETRY). It is
# kept until resolved, so a resend meets the Spine's duplicate elimination instead of giving
# the patient a second summary. An accepted id (= sent_message_id) or a rejected one is known.
_KEEP_UNKNOWN_ID = (
    "CASE WHEN message_id IS NOT sent_message_id "
    f"AND NOT (bucket = 'failed' AND reason_code IS NOT '{NO_ACK_CODE}') "
    "THEN message_id ELSE NULL END"
)
# The last summary this practice sent the patient, from whichever upload sent it: an update
# replaces it, and the previous summary's id is what a Rerun's replacementOf names.
_LAST_SUMMARY_OF = (
    "(SELECT s.sent_message_id FROM patient_upload s WHERE s.patient_id = {patient} "
    "AND s.sent_message_id IS NOT NULL AND s.upload IN ({kinds}) "
    "ORDER BY s.sent_at DESC, s.id DESC LIMIT 1)"
)
_KINDS_SQL = ", ".join(f"'{k}'" for k in SUMMARY_KINDS)
_LAST_SUMMARY = _LAST_SUMMARY_OF.format(patient="u.patient_id", kinds=_KINDS_SQL)
# Which patients each mode selects, over patient p LEFT JOIN patient_upload u (of one upload).
_SELECTS = {
    Mode.RUN: "(u.patient_id IS NULL OR u.bucket IN ('unprocessed', 'sending', 'not_required'))",
    Mode.RERUN: "1 = 1",
    Mode.FAILED: "u.bucket = 'failed'",
    Mode.RESUME: "u.bucket IN ('unprocessed', 'sending')",
}


class GroupNotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class WorkItem:
    patient_id: int
    message_id: str | None  # set: resend with this id (a retry the Spine can de-duplicate)
    sent_message_id: str | None  # the last summary this practice sent, which this one replaces
    bucket: Bucket


@dataclass(frozen=True, slots=True)
class PatientOutcome:
    """A patient's final bucket after a send, as it is written to the database."""

    patient_id: int
    bucket: Bucket
    reason_code: str | None
    reason_text: str | None
    message_id: str | None
    attempts: int
    at: datetime
    http_status: int | None = None
    ack_code: str | None = None
    latency_ms: float | None = None
    previous: Bucket = Bucket.SENDING  # the bucket the patient leaves (for live counters)


def _group_id(name: str | None) -> int | None:
    """The group's id, found as the group commands find it (case and spaces ignored)."""
    if name is None:
        return None
    group = find_group(name.strip())
    if group is None:
        raise GroupNotFound(f'there is no patient group called "{name.strip()}"')
    return group[0]


def _group_filter(group_id: int | None, column: str = "patient_id") -> tuple[str, list[int]]:
    if group_id is None:
        return "", []
    return f" AND {column} IN (SELECT patient_id FROM group_member WHERE group_id = ?)", [group_id]


def ever_sent_count(group: str | None = None, kind: UploadId = INITIAL) -> int:
    """Patients the Spine has accepted this upload's message for, whatever their bucket is now."""
    where, params = _group_filter(_group_id(group))
    return scalar_int(
        "SELECT COUNT(*) FROM patient_upload WHERE upload = ? AND sent_message_id IS NOT NULL"
        f"{where}",
        [kind, *params],
    )


def group_bucket_counts(group: str, kind: UploadId = INITIAL) -> dict[Bucket, int]:
    """The group's patients per bucket of one upload (no row yet: Unprocessed), as
    queries.bucket_counts counts the practice's."""
    group_id = _group_id(group)
    counts = {bucket: 0 for bucket in Bucket}
    members = "SELECT patient_id FROM group_member WHERE group_id = ?"
    for bucket, n in database.obj.execute_sql(
        f"SELECT bucket, COUNT(*) FROM patient_upload WHERE upload = ? AND patient_id IN "
        f"({members}) GROUP BY bucket",
        (kind, group_id),
    ):
        counts[Bucket(bucket)] = n
    total = scalar_int(f"SELECT COUNT(*) FROM patient WHERE id IN ({members})", [group_id])
    counts[Bucket.UNPROCESSED] += total - sum(counts.values())
    return counts


def selection_count(mode: Mode, group: str | None = None, kind: UploadId = INITIAL) -> int:
    """How many patients `mode` (narrowed to `group`) would take, without enrolling them."""
    where, params = _group_filter(_group_id(group), "p.id")
    return scalar_int(
        "SELECT COUNT(*) FROM patient p LEFT JOIN patient_upload u ON u.patient_id = p.id "
        f"AND u.upload = ? WHERE {_SELECTS[mode]}{where}",
        [kind, *params],
    )


@dataclass(frozen=True, slots=True)
class Candidate:
    """A patient of the chosen group as the mode's selection sees it now (the preview)."""

    patient_id: int
    bucket: Bucket | None  # None: no row in this upload yet
    sent_message_id: str | None  # the last summary this practice sent (as next_batch gives)
    selected: bool  # the mode would take the patient (enrol's own condition)


def candidates(
    mode: Mode, group: str | None, kind: UploadId, after_patient_id: int, limit: int
) -> list[Candidate]:
    """Every patient of the group (or practice) after `after_patient_id`, in id order, with
    whether `mode` would enrol them: the same condition enrol and selection_count use, read
    without writing anything."""
    where, params = _group_filter(_group_id(group), "p.id")
    last = _LAST_SUMMARY_OF.format(patient="p.id", kinds=_KINDS_SQL)
    rows = database.obj.execute_sql(
        f"SELECT p.id, u.bucket, {last}, {_SELECTS[mode]} FROM patient p "
        "LEFT JOIN patient_upload u ON u.patient_id = p.id AND u.upload = ? "
        f"WHERE p.id > ?{where} ORDER BY p.id LIMIT ?",
        [kind, after_patient_id, *params, limit],
    ).fetchall()
    return [Candidate(r[0], Bucket(r[1]) if r[1] else None, r[2], bool(r[3])) for r in rows]


def enrol(
    mode: Mode, run_id: int, group: str | None, pass_number: int, kind: UploadId = INITIAL
) -> int:
    """Put the patients a mode selects into Unprocessed for this run; returns the run's total.

    Run: patients never sent (new ones, and Not Required ones re-checked). Rerun: everyone,
    with new message ids except where the last id's delivery is unknown. Failed: the failed
    ones; those the Spine never answered keep their id. Resume: whatever is still pending,
    whichever run left it. A patient taken back to Unprocessed loses its old reason: it
    described an outcome that no longer stands. Called when the run starts, not when it is
    scheduled.
    """
    db = database.obj
    group_id = _group_id(group)
    where, group_params = _group_filter(group_id)
    where = f" AND upload = ?{where}"
    params: list[object] = [kind, *group_params]
    with db.atomic():
        if mode in (Mode.RUN, Mode.RERUN):
            member_where, member_params = _group_filter(group_id, "id")
            db.execute_sql(
                "INSERT INTO patient_upload (upload, patient_id, bucket, pass_number, attempts) "
                "SELECT ?, id, 'unprocessed', 0, 0 FROM patient WHERE id NOT IN "
                f"(SELECT patient_id FROM patient_upload WHERE upload = ?){member_where}",
                [kind, kind, *member_params],
            )
        reset = (
            "UPDATE patient_upload SET bucket = 'unprocessed', reason_code = NULL, "
            "reason_text = NULL, run_id = ?, pass_number = ?"
        )
        if mode is Mode.RUN:
            db.execute_sql(
                f"{reset} WHERE bucket IN ('unprocessed', 'sending', 'not_required'){where}",
                [run_id, pass_number, *params],
            )
        elif mode is Mode.RERUN:
            db.execute_sql(
                f"{reset}, message_id = {_KEEP_UNKNOWN_ID} WHERE 1 = 1{where}",
                [run_id, pass_number, *params],
            )
        elif mode is Mode.FAILED:
            db.execute_sql(
                f"{reset}, message_id = {_KEEP_UNKNOWN_ID} WHERE bucket = 'failed'{where}",
                [run_id, pass_number, *params],
            )
        else:
            db.execute_sql(
                "UPDATE patient_upload SET run_id = ? "
                f"WHERE bucket IN ('unprocessed', 'sending'){where}",
                [run_id, *params],
            )
        return scalar_int(
            "SELECT COUNT(*) FROM patient_upload WHERE run_id = ? AND upload = ? "
            "AND bucket IN (?, ?)",
            [run_id, kind, *PENDING],
        )


def next_batch(run_id: int, after_patient_id: int, limit: int) -> list[WorkItem]:
    """The run's pending patients after `after_patient_id`, streamed in id order (a run's
    rows are all of its own upload)."""
    rows = database.obj.execute_sql(
        f"SELECT u.patient_id, u.message_id, {_LAST_SUMMARY}, u.bucket FROM patient_upload u "
        "WHERE u.run_id = ? AND u.bucket IN (?, ?) AND u.patient_id > ? "
        "ORDER BY u.patient_id LIMIT ?",
        [run_id, *PENDING, after_patient_id, limit],
    ).fetchall()
    return [WorkItem(r[0], r[1], r[2], Bucket(r[3])) for r in rows]


def mark_sending(
    rows: Sequence[tuple[int, str]], *, sync: bool = True, kind: UploadId = INITIAL
) -> None:
    """Store each patient's message id (bucket Sending) before the message leaves.

    The one commit that must survive a power cut: were it lost after the message left, a
    Rerun would send that patient a second summary under an unrelated id. The attempt time
    is written with the outcome, once the message has really gone. `sync=False` exists only
    for `scrtui bench` to measure what the durability costs.
    """
    if not rows:
        return
    db = database.obj
    with durable(db) if sync else contextlib.nullcontext(), db.atomic():
        db.cursor().executemany(
            "UPDATE patient_upload SET bucket = 'sending', message_id = ? "
            "WHERE upload = ? AND patient_id = ?",
            [(message_id, kind, pid) for pid, message_id in rows],
        )


def unmark_sending(
    rows: Sequence[tuple[int, Bucket, str | None]], kind: UploadId = INITIAL
) -> None:
    """Put patients marked Sending whose message never left back as they were (bucket, id)."""
    if not rows:
        return
    db = database.obj
    with db.atomic():
        db.cursor().executemany(
            "UPDATE patient_upload SET bucket = ?, message_id = ? "
            "WHERE upload = ? AND patient_id = ? AND bucket = 'sending'",
            [(bucket.value, message_id, kind, pid) for pid, bucket, message_id in rows],
        )


def record_outcomes(
    outcomes: Sequence[PatientOutcome], run_id: int, kind: UploadId = INITIAL
) -> None:
    """Write a batch of final outcomes and their attempts in one short transaction."""
    if not outcomes:
        return
    db = database.obj
    updates = []
    attempts = []
    for o in outcomes:
        stamp = o.at.isoformat(sep=" ")
        sent = o.bucket is Bucket.SENT
        updates.append(
            (
                o.bucket.value,
                o.reason_code,
                o.reason_text,
                o.message_id,
                o.message_id if sent else None,
                o.attempts,
                o.reason_text if o.bucket is Bucket.FAILED else None,
                stamp if o.attempts else None,
                stamp if sent else None,
                kind,
                o.patient_id,
            )
        )
        if o.message_id is not None and o.attempts:
            attempts.append(
                (
                    o.patient_id,
                    run_id,
                    o.message_id,
                    stamp,
                    o.http_status,
                    o.ack_code,
                    o.latency_ms,
                    o.reason_text if o.bucket is Bucket.FAILED else None,
                )
            )
    with db.atomic():
        cursor = db.cursor()
        cursor.executemany(
            "UPDATE patient_upload SET bucket = ?, reason_code = ?, reason_text = ?, "
            "message_id = ?, sent_message_id = COALESCE(?, sent_message_id), "
            "attempts = attempts + ?, last_error = ?, "
            "last_attempt_at = COALESCE(?, last_attempt_at), sent_at = COALESCE(?, sent_at) "
            "WHERE upload = ? AND patient_id = ?",
            updates,
        )
        if attempts:
            cursor.executemany(
                "INSERT INTO attempt (patient_id, run_id, message_id, at, http_status, ack_code, "
                "latency_ms, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                attempts,
            )


def create_run(
    *,
    user_id: str,
    user_name: str,
    role_profile_id: str,
    job_role: str,
    mode: Mode,
    group: str | None,
    start_at: datetime | None,
    stop_at: str | None,
    resume_at: str | None,
    correlation_id: str,
    now: datetime,
    kind: UploadId = INITIAL,
    upload_date: date | None = None,
) -> Run:
    return Run.create(
        upload=kind,
        upload_date=upload_date,
        started_by=user_id,
        user_name=user_name,
        role_profile_id=role_profile_id,
        job_role=job_role,
        mode=mode.value,
        group_name=group,
        start_at=start_at,
        stop_at=stop_at,
        resume_at=resume_at,
        correlation_id=correlation_id,
        created_at=now,
    )


def mark_run_started(run_id: int, now: datetime) -> None:
    Run.update(started_at=now).where(Run.id == run_id, Run.started_at.is_null()).execute()


def finish_run(run_id: int, now: datetime, outcome: str, reason: str) -> None:
    Run.update(ended_at=now, outcome=outcome, outcome_reason=reason).where(
        Run.id == run_id
    ).execute()


def upload_row(kind: UploadId = INITIAL) -> Upload:
    """The upload's own row (made on first use: a database holds the Initial Upload's)."""
    row: Upload | None = Upload.get_or_none(Upload.kind == kind)
    return row if row is not None else Upload.create(kind=kind)


def set_status(status: str, reason: str, now: datetime, kind: UploadId = INITIAL) -> None:
    upload_row(kind)
    Upload.update(status=status, status_reason=reason, updated_at=now).where(
        Upload.kind == kind
    ).execute()


def next_pass(kind: UploadId = INITIAL) -> int:
    """A Rerun is a new pass over everyone."""
    upload_row(kind)
    Upload.update(pass_number=Upload.pass_number + 1).where(Upload.kind == kind).execute()
    return upload_row(kind).pass_number


def current_pass(kind: UploadId = INITIAL) -> int:
    return upload_row(kind).pass_number


def last_upload_date(kind: str) -> date | None:
    """The date entered for this upload's latest run that had one (Resume and Failed reuse it,
    so a resent message says what the first one said)."""
    run: Run | None = (
        Run.select()
        .where(Run.upload == kind, Run.upload_date.is_null(False))
        .order_by(Run.id.desc())
        .first()
    )
    return None if run is None else _as_date(run.upload_date)


def _as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
