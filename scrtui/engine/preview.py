"""The go-live preview: what a mode of an upload would do now, for each patient, sending nothing.

It asks exactly what the run asks, through the same code: the mode's selection (the SQL
condition enrol uses, scrtui/store/upload_state.py `candidates`), the upload's eligibility
(scrtui/engine/kinds.py `decide`), Consent Migration's recoding (applied to the record in
memory, as the run applies it to the database when it starts) and, for the Initial Upload, the
PDS step (scrtui/engine/pds_step.py: the same query and the same match rules). It writes
nothing to the database: no run row, no bucket, message id, counter or status; its only trace
is its own lines in the run log ("Preview ...").

Two halves, so the app can keep its event loop free: `decide_locally` reads the database and
applies the rules (a worker thread's job), `check_pds` asks PDS about the patients that are
left (network, on the loop).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Protocol, TypeVar

from scrtui.domain import consent, uploads
from scrtui.domain.preview import (
    PDS_UNANSWERED_CODE,
    PREVIEW_NOTE,
    PreviewResult,
    PreviewRow,
    Verdict,
    not_taken_code,
    not_taken_text,
    pds_unanswered_text,
    title,
)
from scrtui.domain.records import Mode, PatientRecord
from scrtui.domain.uploads import UploadId
from scrtui.engine import kinds, pds_step
from scrtui.engine.ratelimit import RateLimiter
from scrtui.engine.runlog import RunLog
from scrtui.paths import Home
from scrtui.settings import Settings
from scrtui.spine.outcome import SETUP_CODE, SendOutcome
from scrtui.spine.transport import Transport
from scrtui.store import queries, upload_state

BATCH = 2000


class PreviewRefused(RuntimeError):
    """The preview cannot be made; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class PreviewRequest:
    upload: UploadId
    mode: Mode
    group: str | None = None


@dataclass
class Decided:
    """The local half's answer: every row, and which of them still wait for PDS."""

    request: PreviewRequest
    started_at: datetime
    rows: list[PreviewRow]
    pds_pending: list[tuple[int, PatientRecord]]  # (index into rows, record)
    seconds: float


T = TypeVar("T")


class OffLoop(Protocol):
    """Runs database and file work where the caller wants it (the app: a worker thread)."""

    def __call__(self, work: Callable[[], T]) -> Awaitable[T]: ...


async def on_this_thread(work: Callable[[], T]) -> T:
    return work()


def pds_applies(upload: UploadId, settings: Settings) -> bool:
    return uploads.kind(upload).checks_pds and settings.pds_sync


def refusal(request: PreviewRequest, *, card_open: bool, settings: Settings) -> str | None:
    """Why the preview cannot be made, or None. The card is needed only for PDS (a Spine read)."""
    kind = uploads.kind(request.upload)
    if kind.needs_group and not request.group:
        return (
            f"{kind.label} needs a patient group: choose the group to preview "
            "(SCR > Patient Groups makes one)."
        )
    if pds_applies(request.upload, settings) and not card_open:
        return (
            "The preview asks PDS about each patient, as the Run would, and PDS queries need "
            "your smartcard session: insert your card and log in (F3), then preview again."
        )
    return None


def _name(record: PatientRecord) -> str:
    return f"{record.surname}, {record.forename}"


def decide_locally(
    request: PreviewRequest, settings: Settings, now: datetime, *, check_pds: bool
) -> Decided:
    """Every patient of the group (or practice), in id order: not taken by the mode, Not
    Required by the upload's rules, or (pending PDS, when it applies) Would send."""
    started = time.perf_counter()
    kind = uploads.kind(request.upload)
    today = now.date()
    recode = kind.recodes_consent and request.mode in (Mode.RUN, Mode.RERUN)
    rows: list[PreviewRow] = []
    pending: list[tuple[int, PatientRecord]] = []
    after = 0
    while True:
        try:
            batch = upload_state.candidates(request.mode, request.group, kind.id, after, BATCH)
        except upload_state.GroupNotFound as exc:
            raise PreviewRefused(f"{exc}: choose another group, or all patients.") from None
        if not batch:
            break
        after = batch[-1].patient_id
        records = queries.load_records(c.patient_id for c in batch)
        for candidate in batch:
            record = records[candidate.patient_id]
            if not candidate.selected:
                rows.append(_not_taken(candidate, record, request.mode))
                continue
            if recode:
                record = _recoded(record)
            rows.append(_decided(kind, record, candidate, today, settings))
            if check_pds and rows[-1].verdict is Verdict.SEND:
                pending.append((len(rows) - 1, record))
    return Decided(request, now, rows, pending, time.perf_counter() - started)


def _not_taken(candidate: upload_state.Candidate, record: PatientRecord, mode: Mode) -> PreviewRow:
    return PreviewRow(
        candidate.patient_id,
        record.nhs_number,
        _name(record),
        Verdict.NOT_SEND,
        not_taken_code(candidate.bucket),
        not_taken_text(mode, candidate.bucket),
    )


def _recoded(record: PatientRecord) -> PatientRecord:
    change = consent.recoding(record.consent_code, record.national_summary)
    return record if change is None else replace(record, consent_code=change.after)


def _decided(
    kind: uploads.UploadKind,
    record: PatientRecord,
    candidate: upload_state.Candidate,
    today: date,
    settings: Settings,
) -> PreviewRow:
    decision = kinds.decide(kind, record, today, settings, candidate.sent_message_id)
    if decision.eligible:
        return PreviewRow(candidate.patient_id, record.nhs_number, _name(record), Verdict.SEND)
    assert decision.reason is not None
    return PreviewRow(
        candidate.patient_id,
        record.nhs_number,
        _name(record),
        Verdict.NOT_SEND,
        decision.reason.code,
        decision.reason.text,
    )


async def check_pds(
    decided: Decided,
    settings: Settings,
    card_open: Callable[[], bool],
    clock: Callable[[], datetime] = datetime.now,
) -> None:
    """Ask PDS about every patient still Would send, `concurrency` at a time; a mismatch makes
    the row Would not send with the run's reason, a query that fails leaves it Undecided."""
    if not decided.pds_pending:
        return
    kind = uploads.kind(decided.request.upload)
    work = deque(decided.pds_pending)
    give_up = asyncio.Event()
    rows = decided.rows
    limiter = RateLimiter(settings.rate_limit)

    setup_error: list[str] = []

    async def worker(client: Transport) -> None:
        while work:
            index, record = work.popleft()
            row = rows[index]
            if not card_open():
                give_up.set()
                rows[index] = _undecided(row, "the smartcard session closed")
                continue
            if setup_error:  # the adaptor's set-up is wrong: the Run would stop, so ask no more
                rows[index] = _undecided(row, setup_error[0])
                continue
            await limiter.acquire()  # [spine] rate_limit holds for PDS queries as for a run's
            result = await pds_step.ask(client, record, settings, clock(), give_up)
            if result.outcome is not SendOutcome.SENT:
                detail = result.error_text or result.outcome.value
                if result.error_code == SETUP_CODE:
                    detail = setup_text(detail)
                    setup_error.append(detail)
                rows[index] = _undecided(row, detail)
                continue
            reason = pds_step.reason(record, result.detail, settings.ods_code)
            if reason is not None:
                rows[index] = replace(
                    row, verdict=Verdict.NOT_SEND, reason_code=reason.code, reason_text=reason.text
                )

    correlation_id = str(uuid.uuid4()).upper()
    async with kinds.open_client(kind, settings, correlation_id) as client:
        workers = max(1, min(settings.concurrency, len(work)))
        await asyncio.gather(*(worker(client) for _ in range(workers)))


def setup_text(said: str) -> str:
    """A set-up error of the MHS adaptor (issue 19): a Run would stop at it, nobody Failed."""
    return (
        f"the MHS adaptor's set-up is wrong: {said}; a Run would stop here with nobody Failed, "
        "so the preview asked PDS no more: fix the set-up, then preview again"
    )


def _undecided(row: PreviewRow, detail: str) -> PreviewRow:
    return replace(
        row,
        verdict=Verdict.UNDECIDED,
        reason_code=PDS_UNANSWERED_CODE,
        reason_text=pds_unanswered_text(detail),
    )


def result_of(
    decided: Decided, *, pds_checked: bool, finished_at: datetime, blocked: str = ""
) -> PreviewResult:
    request = decided.request
    return PreviewResult(
        upload=request.upload,
        mode=request.mode,
        group=request.group,
        started_at=decided.started_at,
        finished_at=finished_at,
        pds_checked=pds_checked,
        rows=tuple(decided.rows),
        seconds=(finished_at - decided.started_at).total_seconds(),
        blocked=blocked,
    )


def log_started(home: Home, who: str, request: PreviewRequest, now: datetime) -> None:
    kind = uploads.kind(request.upload)
    RunLog(home.upload_log, who).write(
        now,
        "preview_started",
        f"{title(kind.label, request.mode)} started; group {request.group or 'all patients'}. "
        f"{PREVIEW_NOTE}",
        upload=kind.id,
        mode=request.mode.value,
    )


def log_finished(home: Home, who: str, result: PreviewResult) -> None:
    kind = uploads.kind(result.upload)
    counts = result.counts
    RunLog(home.upload_log, who).write(
        result.finished_at,
        "preview_finished",
        f"{title(kind.label, result.mode)} finished in {result.seconds:.1f} s: would send "
        f"{counts[Verdict.SEND]}, would not send {counts[Verdict.NOT_SEND]}, undecided "
        f"{counts[Verdict.UNDECIDED]}. Nothing was sent.",
        upload=kind.id,
        mode=result.mode.value,
        would_send=counts[Verdict.SEND],
        would_not_send=counts[Verdict.NOT_SEND],
        undecided=counts[Verdict.UNDECIDED],
    )


async def run_preview(
    request: PreviewRequest,
    settings: Settings,
    home: Home,
    *,
    who: str,
    card_open: Callable[[], bool],
    clock: Callable[[], datetime] = datetime.now,
    off_loop: OffLoop = on_this_thread,
) -> PreviewResult:
    """The whole preview: refusal, its log lines and the local half (through `off_loop`), and
    PDS (on the caller's loop)."""
    reason = refusal(request, card_open=card_open(), settings=settings)
    if reason:
        raise PreviewRefused(reason)
    check = pds_applies(request.upload, settings)
    now = clock()

    def local() -> Decided:
        log_started(home, who, request, now)
        return decide_locally(request, settings, now, check_pds=check)

    decided = await off_loop(local)
    await check_pds(decided, settings, card_open, clock)
    blocked = uploads.kind(request.upload).standing_refusal(
        gp_summary_enabled=settings.gp_summary_enabled
    )
    result = result_of(decided, pds_checked=check, finished_at=clock(), blocked=blocked or "")
    await off_loop(lambda: log_finished(home, who, result))
    return result
