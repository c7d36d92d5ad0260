"""The completion report's figures, read from the database (scrtui/domain/completion_report.py
renders them). Reads only."""

from __future__ import annotations

from datetime import date, datetime

from scrtui.domain import pds_match, uploads
from scrtui.domain.completion_report import (
    CompletionReport,
    FailedPatient,
    RateSample,
    ReasonLine,
    pauses_of,
)
from scrtui.domain.records import Bucket
from scrtui.domain.uploads import UploadId
from scrtui.store import queries, run_events
from scrtui.store.models import Run, database


class NoRun(LookupError):
    """The upload has no run to report on."""


def _dt(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return datetime.fromisoformat(str(value))


def find_run(kind: UploadId, run: str = "last") -> Run:
    """The upload's last run ("last"), or the run with that id (of this upload)."""
    label = uploads.kind(kind).label
    if run == "last":
        found = queries.last_run(kind)
        if found is None:
            raise NoRun(f"the {label} has not been run yet: there is no run to report on")
        return found
    try:
        run_id = int(run)
    except ValueError:
        raise NoRun(f"--run {run!r}: expected last or a run number") from None
    found = Run.get_or_none(Run.id == run_id, Run.upload == kind)
    if found is None:
        raise NoRun(f"there is no run {run_id} of the {label}")
    return found


def completion_report(
    kind: UploadId, *, ods_code: str, practice_name: str, now: datetime, run: str = "last"
) -> CompletionReport:
    row = find_run(kind, run)
    db = database.obj
    run_counts = {bucket: 0 for bucket in Bucket}
    for bucket, n in db.execute_sql(
        "SELECT bucket, COUNT(*) FROM patient_upload WHERE run_id = ? AND upload = ? "
        "GROUP BY bucket",
        [row.id, kind],
    ):
        run_counts[Bucket(bucket)] = n
    reasons = tuple(
        ReasonLine(Bucket(bucket), code, pds_match.summary_text(code, text), n)
        for bucket, code, text, n in db.execute_sql(
            "SELECT bucket, reason_code, MIN(reason_text), COUNT(*) FROM patient_upload "
            "WHERE run_id = ? AND upload = ? AND bucket IN ('failed', 'not_required') "
            "GROUP BY bucket, reason_code ORDER BY bucket, COUNT(*) DESC, reason_code",
            [row.id, kind],
        )
    )
    failed = tuple(
        FailedPatient(nhs, code, text)
        for nhs, code, text in db.execute_sql(
            "SELECT p.nhs_number, u.reason_code, u.reason_text FROM patient_upload u "
            "JOIN patient p ON p.id = u.patient_id WHERE u.run_id = ? AND u.upload = ? "
            "AND u.bucket = 'failed' ORDER BY p.nhs_number",
            [row.id, kind],
        )
    )
    events = run_events.events(row.id)
    statuses = [(e.at, e.status, e.reason) for e in events if e.kind == run_events.STATUS]
    started = _dt(row.started_at)
    samples = tuple(
        RateSample(e.at, e.checked, e.messages)
        for e in events
        if started is not None and e.at >= started
    )
    window = ", ".join(
        part
        for part in (
            f"stop at {row.stop_at}" if row.stop_at else "",
            f"resume at {row.resume_at}" if row.resume_at else "",
        )
        if part
    )
    return CompletionReport(
        run_id=row.id,
        upload=kind,
        upload_label=uploads.kind(kind).label,
        mode=row.mode,
        group=row.group_name,
        user_name=row.user_name,
        sds_user_id=row.started_by,
        role_profile_id=row.role_profile_id,
        job_role=row.job_role,
        ods_code=ods_code,
        practice_name=practice_name,
        created_at=_dt(row.created_at) or now,
        scheduled_for=_dt(row.start_at),
        window=window,
        started_at=started,
        ended_at=_dt(row.ended_at),
        outcome=row.outcome or "not finished",
        outcome_detail=row.outcome_reason or "",
        generated_at=now,
        upload_counts=queries.bucket_counts(kind),
        run_counts=run_counts,
        reasons=reasons,
        failed=failed,
        pauses=pauses_of(statuses),
        samples=samples,
    )
