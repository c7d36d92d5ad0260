"""The upload engine: one asyncio job that sends a GP Summary for every selected patient.

Pipeline: once the run starts (not when it is scheduled) the patients are enrolled; a
producer streams them from the database in batches, decides eligibility and stores each
eligible patient's message id (bucket Sending, one durable commit a batch) before handing it
to `concurrency` senders; a sender builds the message when it goes (creationTime is the time of
sending, eligibility is checked again if the date changed); a writer flushes outcomes every
100 ms in one short transaction; a control loop applies the gates (card, schedule, pause/stop,
MHS outage). Patients marked Sending whose message never left are put back when the run stops.
Watchers pull `snapshot()`; nothing is pushed per patient.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from scrtui import logs
from scrtui.domain import eta as eta_rule
from scrtui.domain import outage as outage_text
from scrtui.domain import uploads
from scrtui.domain.held_back import held_back
from scrtui.domain.progress import (
    RollingRate,
    RunStatus,
    Snapshot,
    StopReason,
    eta,
    whole_minutes,
)
from scrtui.domain.records import Author, Bucket, Mode, PatientRecord
from scrtui.domain.run_tally import TallyCounter
from scrtui.domain.schedule import Schedule, Window, pause_end, window_at
from scrtui.domain.upload_request import UploadRequest
from scrtui.engine import async_watch, gates, kinds, outage_watch, pds_ahead, pds_step
from scrtui.engine.gates import Gate
from scrtui.engine.job import Job
from scrtui.engine.outage_watch import OutageWatch
from scrtui.engine.preflight import preflight_of
from scrtui.engine.ratelimit import RateLimiter
from scrtui.engine.run_record import RunRecorder
from scrtui.engine.runlog import RunLog
from scrtui.paths import Home
from scrtui.settings import Settings
from scrtui.spine.message import new_message_id
from scrtui.spine.outcome import SETUP_CODE, SendOutcome, SendResult
from scrtui.spine.transport import Transport
from scrtui.store import queries, upload_state
from scrtui.store.db import StoreError, UploadLock, store_errors
from scrtui.store.disk_full import disk_full_text, is_disk_full
from scrtui.store.upload_state import NO_ACK_CODE, PatientOutcome, WorkItem

FLUSH_INTERVAL = 0.1
TICK = 0.05
# A patient whose attempts ran out on transport faults while the MHS answered other patients
# this many times is Failed (RETRY): its message, not the MHS, is the problem. Attempts that
# ran out while nobody got an answer are an outage and never count.
SUSPECT_ROUNDS = 3
BATCH = 512


class Refused(RuntimeError):
    """The run cannot start; the message says why and what to do."""


@dataclass
class _Counters:
    counts: dict[Bucket, int] = field(default_factory=dict)
    # The buckets of the run's own patients (its group's; the practice's without one).
    scope: dict[Bucket, int] = field(default_factory=dict)
    tally: TallyCounter = field(default_factory=TallyCounter)  # this run's outcomes
    checked: int = 0
    total: int = 0
    queued: int = 0


class UploadEngine:
    def __init__(
        self,
        home: Home,
        settings: Settings,
        gate: Gate,
        *,
        clock: Callable[[], datetime] = datetime.now,
        tick: float = TICK,
    ) -> None:
        self.home = home
        self.settings = settings
        self.gate = gate
        self.clock = clock
        self.tick = tick
        self.log = logs.get("scrtui.engine")
        self._status = RunStatus.IDLE
        self._reason = ""
        self._request: UploadRequest | None = None
        self._kind = uploads.INITIAL_UPLOAD  # the run's upload, set when it runs
        self._upload_date: date | None = None  # the date its messages carry, if it asks one
        self._c = _Counters(counts=queries.bucket_counts())
        self._rate = RollingRate(10.0)
        self._manual_pause = False
        self._skip_pause_until: datetime | None = None  # Resume during the daily pause
        self._stop_reason: StopReason | None = None
        self._fatal = ""
        self._watch = OutageWatch(settings)  # an outage: since when, next probe, the limit
        self._mhs_url = settings.mhs_url  # the run's client's, once it is open
        self._open = asyncio.Event()
        self._give_up = asyncio.Event()
        self._queue: asyncio.Queue[Job] = asyncio.Queue(maxsize=max(64, settings.concurrency * 4))
        self._deferred: deque[Job] = deque()
        # Ran out of attempts during an outage: sent again once the MHS is back, after the
        # others, so another patient's answer can tell an outage from this patient's message.
        self._later: deque[Job] = deque()
        # Marked Sending (id stored) but not yet handed to the MHS: put back if the run stops.
        self._unsent: dict[int, Job] = {}
        self._started = asyncio.Event()
        self._author: Author | None = None
        self._outcomes: list[PatientOutcome] = []
        self._inflight = 0
        self._outstanding = 0
        self._producer_done = False
        self._finished = asyncio.Event()
        self._next_event: datetime | None = None
        self._next_event_text = ""
        self._started_at: datetime | None = None
        self._active_seconds = 0.0
        self._active_since: float | None = None
        self._run_id: int | None = None
        self.max_flush_ms = 0.0
        self.mark_commits = 0  # durable commits of message ids, and their total time
        self.mark_seconds = 0.0
        self._runlog: RunLog | None = None
        self._recorder: RunRecorder | None = None  # the completion report's statuses, samples
        # Asynchronous mode only (wait_for_response = false): acknowledgements from the queue.
        self._acks: async_watch.AckTracker | None = None
        # PDS checks ahead of the summaries (scrtui/engine/pds_ahead.py), when the run asks PDS.
        self._pds: pds_ahead.PdsAhead | None = None

    # ----- intents (from the UI or the CLI) -------------------------------------------------

    def pause(self) -> None:
        if self._status in (RunStatus.RUNNING, RunStatus.PAUSED, RunStatus.SCHEDULED):
            self._manual_pause = True
            self._event("pause", "Paused by the user")

    def resume(self) -> None:
        if self._manual_pause:
            self._manual_pause = False
            self._event("resume", "Resumed by the user")
            return
        request = self._request
        until = pause_end(request.schedule, self.clock()) if request else None
        if until is not None and self._status is RunStatus.PAUSED:
            # The footer offers Resume during the daily pause: it sends now, until the next
            # stop time (the pause comes back the next day as scheduled).
            self._skip_pause_until = until
            self._event(
                "resume", f"Resumed by the user during the scheduled pause (till {until:%H:%M})"
            )

    def stop(self, reason: StopReason = StopReason.USER) -> None:
        if reason is StopReason.USER and self._status is RunStatus.SCHEDULED:
            reason = StopReason.CANCELLED  # it never started: nothing to resume
        if self._stop_reason is None and self._status not in (RunStatus.IDLE, RunStatus.STOPPED):
            self._stop_reason = reason
            self._event("stop_requested", f"Stop requested: {reason.value}")
        self._give_up.set()
        self._open.set()  # wake waiting senders so they see the stop

    @property
    def running(self) -> bool:
        return self._status not in (RunStatus.IDLE, RunStatus.STOPPED)

    # ----- the snapshot that watchers pull ---------------------------------------------------

    def snapshot(self) -> Snapshot:
        c = self._c
        request = self._request
        rate = self._rate.rate(time.monotonic())  # falls while nothing is checked
        active = self._active_seconds + (
            time.monotonic() - self._active_since if self._active_since else 0.0
        )
        return Snapshot(
            status=self._status,
            reason=self._reason,
            upload=self._kind.id,
            mode=request.mode if request else None,
            group=request.group if request else None,
            counts=self._shown_counts(c.counts),
            scope_counts=self._shown_counts(c.scope),
            run=c.tally.tally(),
            started=self._started_at is not None,
            checked=c.checked,
            total=c.total,
            queued=c.queued,
            avg_seconds_per_patient=(active / c.checked) if c.checked else None,
            rate_per_second=rate,
            eta=self._time_left(rate),
            schedule_text=request.schedule.describe() if request else "",
            next_event=self._next_event,
            next_event_text=self._next_event_text,
            session_left=whole_minutes(self.gate.time_left()),
            fatal_message=self._fatal,
            outage_since=self._watch.current.since if self._watch.current else None,
            next_check=self._watch.current.next_try if self._watch.current else None,
            awaiting_ack=self._acks.count() if self._acks else 0,
            asynchronous=not self.settings.wait_for_response,
            mhs_url=self._mhs_url,
        )

    def _shown_counts(self, counts: dict[Bucket, int]) -> dict[Bucket, int]:
        """While paused, Sending counts only messages really out (domain/held_back.py)."""
        if self._status is not RunStatus.PAUSED or not counts:
            return dict(counts)
        return held_back(counts, (job.item.bucket for job in self._unsent.values()))

    def _time_left(self, rate: float) -> timedelta | None:
        """The rate's sending time plus the daily pauses before the end (domain/eta.py)."""
        if self._status is not RunStatus.RUNNING:
            return None
        sending = eta(self._c.total - self._c.checked, rate)
        schedule = self._request.schedule if self._request else None
        return eta_rule.time_left(self.clock(), sending, schedule, self._skip_pause_until)

    # ----- the run ---------------------------------------------------------------------------

    def check(self, request: UploadRequest) -> Author:
        """Refuse before anything is written when the run cannot start: the preflight the user
        was shown, asked once more (scrtui/engine/preflight.py), then the card."""
        reason = preflight_of(
            request.mode,
            request.group,
            request.upload,
            self.settings,
            upload_date=request.upload_date,
            today=self.clock().date(),
        ).refusal
        if reason:
            raise Refused(reason)
        author = self.gate.author()
        if author is None or not self.gate.gate_open():
            raise Refused(self.gate.gate_reason() or "Log in with your smartcard first.")
        return author

    async def run(self, request: UploadRequest) -> Snapshot:
        """Run to the end: completed, or stopped (by the user, the schedule, the card, an error)."""
        author = self.check(request)
        lock = UploadLock(self.home.db_path)
        try:
            lock.acquire()
        except Exception as exc:
            raise Refused(str(exc)) from None
        try:
            return await self._run_locked(request, author)
        finally:
            lock.release()

    async def _run_locked(self, request: UploadRequest, author: Author) -> Snapshot:
        self._request = request
        self._author = author
        self._kind = kind = uploads.kind(request.upload)
        now = self.clock()
        if kind.asks_date:
            self._upload_date = request.upload_date or (
                upload_state.last_upload_date(kind.id)
                if request.mode in (Mode.RESUME, Mode.FAILED)
                else None
            )
            self._upload_date = self._upload_date or now.date()
        correlation_id = str(uuid.uuid4()).upper()
        run = upload_state.create_run(
            user_id=author.sds_user_id,
            user_name=author.name,
            role_profile_id=author.role_profile_id,
            job_role=author.job_role_code,
            mode=request.mode,
            group=request.group,
            start_at=request.schedule.start,
            stop_at=_hhmm(request.schedule.stop),
            resume_at=_hhmm(request.schedule.resume),
            correlation_id=correlation_id,
            now=now,
            kind=kind.id,
            upload_date=self._upload_date,
        )
        self._run_id = run.id
        self._recorder = RunRecorder(run.id)
        # Nothing is enrolled (reset, counted as checked) before the run starts: a scheduled
        # run shows what it will take, and the practice's figures stay as they are till then.
        self._c.total = upload_state.selection_count(request.mode, request.group, kind.id)
        self._count_buckets()
        self._runlog = RunLog(
            self.home.run_log(kind.id), f"{author.name}, {author.job_role_code}", kind.id
        )
        self._event(
            "run_created",
            f"{kind.title(request.mode)} by {author.name} (role profile "
            f"{author.role_profile_id}, {author.job_role_code}); group "
            f"{request.group or 'all patients'}; {request.schedule.describe()}; "
            f"{self._c.total} patients to check",
            correlation_id=correlation_id,
        )
        if kind.checks_pds and not self.settings.pds_sync:
            self._event("pds_off", f"Warning: {pds_step.OFF_WARNING}")
        self._set_status(RunStatus.SCHEDULED if request.schedule.start else RunStatus.RUNNING, "")
        transport = kinds.open_client(kind, self.settings, correlation_id)
        # The interaction says whether a 202 leaves the acknowledgement to the queue (the
        # summaries in asynchronous mode); the consent service answers on the call.
        self._acks = (
            async_watch.for_settings(
                self.settings,
                self._finalise,
                async_watch.requeue(self._queue, self._deferred),
                self.clock,
            )
            if transport.interaction.asynchronous
            else None
        )
        try:
            if self._acks is not None:
                self._acks.start(asyncio.get_running_loop())
            async with transport as client:
                self._mhs_url = client.interaction.url
                await self._pipeline(client, author, request.schedule)
        finally:
            if self._acks is not None:
                await self._acks.close()
        return self._finish(run.id)

    async def _pipeline(self, client: Transport, author: Author, schedule: Schedule) -> None:
        limiter = RateLimiter(self.settings.rate_limit)
        self._pds = pds_ahead.for_run(
            self._pds_applies(), self.settings.pds_concurrency, self._queue.maxsize
        )
        tasks = [
            self._task(self._control(client, schedule), "control"),
            self._task(self._produce(), "producer"),
            self._task(self._write(), "writer"),
        ] + [
            self._task(self._send_loop(client, limiter), f"sender-{i}")
            for i in range(self.settings.concurrency)
        ]
        if self._acks is not None:
            tasks.append(self._task(self._acks.watch(self.tick), "acknowledgements"))
        if self._pds is not None:
            tasks += [
                self._task(
                    self._pds.work(
                        self._until_open,
                        self._may_send,
                        self._pds_check(client),
                        self._queue.put,
                        self._deferred.appendleft,
                    ),
                    f"pds-{i}",
                )
                for i in range(self._pds.workers)
            ]
        try:
            await self._finished.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self._watch.close()
            try:
                self._flush()
                self._put_back_unsent()
            except Exception as exc:  # the patients stay Sending: Resume sends them again
                self.log.error("engine_final_flush_failed", error=repr(exc))
                if not self._fatal and is_disk_full(exc):
                    self._fatal = disk_full_text(self.home.db_path)
                self._fatal = self._fatal or f"the last outcomes could not be saved: {exc}"

    def _put_back_unsent(self) -> None:
        """Patients marked Sending whose message never left go back to what they were."""
        jobs = list(self._unsent.values())
        upload_state.unmark_sending(
            [(j.item.patient_id, j.item.bucket, j.item.message_id) for j in jobs], self._kind.id
        )
        self._unsent.clear()
        for job in jobs:
            self._move(Bucket.SENDING, job.item.bucket)

    def _task(self, coroutine: Any, name: str) -> asyncio.Task[None]:
        """A pipeline task whose failure stops the run with the reason, never silently."""
        task = asyncio.create_task(coroutine, name=name)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        exc = task.exception()
        self.log.error("engine_task_failed", task=task.get_name(), error=repr(exc))
        if not self._fatal:
            self._fatal = (
                disk_full_text(self.home.db_path)
                if is_disk_full(exc)
                else f"internal error in the {task.get_name()}: {exc}"
            )
            self._event("fatal", f"Stopping: {self._fatal}")
        self.stop(StopReason.FATAL)
        self._finished.set()

    # ----- producer --------------------------------------------------------------------------

    async def _produce(self) -> None:
        assert self._run_id is not None
        await self._started.wait()
        # Each batch's ids cost one durable commit (an fsync, ~1-8 ms here): 512 a batch keeps
        # that near 1 % of the run; a crash leaves at most a batch and a queue Sending, resent
        # under the same ids by Resume.
        batch_size = max(BATCH, self.settings.concurrency * 4)
        after = 0
        while self._stop_reason is None:
            items = upload_state.next_batch(self._run_id, after, batch_size)
            if not items:
                break
            after = items[-1].patient_id
            await self._prepare_batch(items)
        # Only a producer that got to the end may let the run count as completed.
        self._producer_done = True
        self._maybe_finished()

    async def _prepare_batch(self, items: list[WorkItem]) -> None:
        records = queries.load_records(i.patient_id for i in items)
        now = self.clock()
        today = now.date()
        jobs: list[Job] = []
        for item in items:
            record = records.get(item.patient_id)
            if record is None:
                continue
            if self._not_required(item, record, today, now, 0, item.message_id, item.bucket):
                self._outstanding += 1
                continue
            jobs.append(Job(item, record, item.message_id or new_message_id(), today))
        self._mark(jobs)
        self._outstanding += len(jobs)
        # Patients who need PDS go to its workers first (pds_ahead.py), then to the senders.
        queue = self._pds.queue if self._pds is not None else self._queue
        for job in jobs:
            await queue.put(job)
            if self._stop_reason is not None:
                return

    def _not_required(
        self,
        item: WorkItem,
        record: PatientRecord,
        today: date,
        now: datetime,
        attempts: int,
        message_id: str | None,
        previous: Bucket,
    ) -> bool:
        """Decide eligibility; a patient not eligible gets its Not Required outcome."""
        decision = kinds.decide(self._kind, record, today, self.settings, item.sent_message_id)
        if decision.eligible:
            return False
        assert decision.reason is not None
        # A patient left in Sending keeps its message id: the Spine may hold it.
        code, text = decision.reason.code, decision.reason.text
        self._finalise(
            item, Bucket.NOT_REQUIRED, code, text, message_id, attempts, now, previous=previous
        )
        return True

    def _mark(self, jobs: list[Job]) -> None:
        """Store the batch's message ids, durably, before any of them can leave."""
        started = time.perf_counter()
        upload_state.mark_sending(
            [(j.item.patient_id, j.message_id) for j in jobs], kind=self._kind.id
        )
        self.mark_seconds += time.perf_counter() - started
        self.mark_commits += 1 if jobs else 0
        for job in jobs:
            self._unsent[job.item.patient_id] = job
            if job.item.bucket is not Bucket.SENDING:
                self._move(job.item.bucket, Bucket.SENDING)

    def _payload(self, job: Job, now: datetime) -> str | None:
        """The message as it goes now, or None when the patient is no longer eligible today."""
        today = now.date()
        if today != job.decided_on:
            job.decided_on = today
            # Never sent: the new id never left, so the patient keeps the id it had.
            message_id = job.message_id if job.attempts else job.item.message_id
            if self._not_required(
                job.item, job.record, today, now, job.attempts, message_id, Bucket.SENDING
            ):
                return None
        assert self._author is not None
        return kinds.build_message(
            self._kind,
            job.record,
            self._author,
            self.settings,
            message_id=job.message_id,
            now=now,
            replaces=job.item.sent_message_id,
            upload_date=self._upload_date,
        )

    # ----- senders ---------------------------------------------------------------------------

    async def _next_job(self) -> Job:
        while True:
            if self._deferred:
                return self._deferred.popleft()
            if self._later and self._queue.empty() and self._fed():
                return self._later.popleft()
            if not self._queue.empty():
                return self._queue.get_nowait()
            # A PDS worker, an outage's probe or the acknowledgements put a patient back into
            # _deferred or _later without waking a sender waiting here on an empty queue: it
            # looks again every tick, or the last such patient would wait for ever.
            try:
                return await asyncio.wait_for(self._queue.get(), self.tick)
            except TimeoutError:
                continue

    def _may_send(self) -> bool:
        return self._open.is_set() and self._stop_reason is None and self.gate.gate_open()

    def _fed(self) -> bool:
        """Every patient has reached the senders: produced, and past the PDS stage if any."""
        return self._producer_done and (self._pds is None or self._pds.idle())

    def _pds_applies(self) -> bool:
        return self.settings.pds_sync and self._kind.checks_pds

    def _pds_check(self, client: Transport) -> Callable[[Job], Awaitable[bool]]:
        return lambda job: self._pds_passed(client, job)

    async def _until_open(self) -> bool:
        """Wait until messages may go; False when the run stops instead."""
        while not self._may_send():
            if self._stop_reason is not None:
                return False
            await self._wait_open()
        return True

    async def _send_loop(self, client: Transport, limiter: RateLimiter) -> None:
        while True:
            if not self._may_send():
                if self._stop_reason is not None:
                    return
                await self._wait_open()
                continue
            job = await self._next_job()
            await limiter.acquire()
            # The gate is checked again right before the message leaves: a card pulled while
            # this sender waited for work or for the rate limit must stop it.
            while not self._may_send():
                if self._stop_reason is not None:
                    self._deferred.appendleft(job)
                    return
                await self._wait_open()
            await self._send(client, job)

    async def _wait_open(self) -> None:
        await self._open.wait()
        if not self.gate.gate_open() and self._stop_reason is None:
            await asyncio.sleep(self.tick)

    async def _pds_passed(self, client: Transport, job: Job, attempts: int | None = None) -> bool:
        """PDS synchronisation (scrtui/engine/pds_step.py): True when the summary may go.

        Not Required on a mismatch; a fault is handled as a send's (retried, an outage pause,
        a fatal set-up error), never Not Required. Until its summary leaves the patient stays
        in _unsent, so a stop meanwhile puts it back as it was (nothing of it left).
        """
        if job.pds_checked or not self._pds_applies():
            return True
        if job.answers_mark is None:
            job.answers_mark = client.answers
        result = await pds_step.ask(
            client, job.record, self.settings, self.clock(), self._give_up, attempts
        )
        if result.outcome is not SendOutcome.SENT:
            recorded = len(self._outcomes)
            self._handle(client, job, result)
            if len(self._outcomes) > recorded:  # Failed; else it waits, still unsent
                self._unsent.pop(job.item.patient_id, None)
            return False
        reason = pds_step.reason(job.record, result.detail, self.settings.ods_code)
        if reason is not None:
            self._unsent.pop(job.item.patient_id, None)
            message_id = job.message_id if job.attempts else job.item.message_id
            self._finalise(
                job.item, Bucket.NOT_REQUIRED, reason.code, reason.text, message_id,
                job.attempts, self.clock(),
            )  # fmt: skip
            return False
        job.pds_checked = True
        if not self._may_send():  # stopped or paused while PDS answered
            self._deferred.appendleft(job)
            return False
        return True

    async def _send(self, client: Transport, job: Job, attempts: int | None = None) -> None:
        """`attempts`: at most this many tries (an outage probe makes one)."""
        if not await self._pds_passed(client, job, attempts):
            return
        if self._acks is not None and not await self._acks.room(self._may_send, self.tick):
            self._deferred.appendleft(job)  # stopped or paused while max_awaiting were out
            return
        self._unsent.pop(job.item.patient_id, None)
        if self._acks is not None and self._acks.intercept(job):
            return  # its acknowledgement is here, or on its way from before a crash
        payload = self._payload(job, self.clock())
        if payload is None:
            return
        if job.answers_mark is None:
            job.answers_mark = client.answers
        self._inflight += 1
        self._c.queued += 0 if job.attempts else 1  # a message, not each try of it
        try:
            result = await client.send(
                job.message_id, payload, give_up=self._give_up, attempts=attempts
            )
        finally:
            self._inflight -= 1
        job.attempts += result.attempts
        self._handle(client, job, result)

    def _handle(self, client: Transport, job: Job, result: SendResult) -> None:
        now = self.clock()
        outcome = result.outcome
        if result.transport:
            self._watch.note(result)
        if self._acks is not None and self._acks.took(job, result):
            pass  # 202: the Spine's acknowledgement comes from the queue
        elif outcome is SendOutcome.SENT:
            # A note (error_code/text) when the Spine said it already holds this message id.
            self._finalise_job(job, Bucket.SENT, result.error_code, result.error_text, result, now)
        elif outcome is SendOutcome.REJECTED:
            self._finalise_job(
                job, Bucket.FAILED, result.error_code, result.error_text, result, now
            )
        elif outcome is SendOutcome.RETRY_LIMIT:
            # Part of an outage: it waits (Sending) and goes again with the same message id.
            if not self._part_of_outage(client, job, result):
                self._finalise_job(job, Bucket.FAILED, NO_ACK_CODE, result.error_text, result, now)
        elif outcome is SendOutcome.FATAL:
            self._deferred.appendleft(job)
            self._fatal_answer(result)
        else:
            # Interrupted by a gate or the outage pause: the patient stays Sending and goes
            # again later with the same message id.
            self._deferred.append(job)
        self._outage_now(client)

    def _part_of_outage(self, client: Transport, job: Job, result: SendResult) -> bool:
        """True (and the patient waits to go again) when its attempts ran out on transport
        faults that are the MHS's, not its message's; False when it is to be Failed."""
        if not result.transport:
            return False  # the MHS answered, but never usably (a bad acknowledgement)
        answered = client.answers > (job.answers_mark or 0)
        job.answers_mark = client.answers
        if answered:
            job.rounds += 1  # others got answers meanwhile: this counts against the patient
        if job.rounds >= SUSPECT_ROUNDS:
            return False
        if answered:
            self._deferred.append(job)
            return True
        self._later.append(job)
        self._declare_outage()
        return True

    def _fatal_answer(self, result: SendResult) -> None:
        """A set-up error stops the run at once (exit 3, nobody Failed); any other refusal
        of every message is a fatal error (exit 1)."""
        text = result.error_text or "the MHS adaptor refused the request"
        if result.error_code == SETUP_CODE:
            if self._fatal:
                return
            self._fatal = (
                f"{outage_text.PREFIX}{self._mhs_url}: {text}. Nobody was marked Failed: fix "
                "the adaptor's set-up, then use Resume"
            )
            self._event("mhs_setup_error", f"Stopping: {self._fatal}")
            self.stop(StopReason.MHS_SETUP)
            return
        self._fatal = text
        self._event("fatal", f"Fatal error from the MHS adaptor ({self._mhs_url}): {text}")
        self.stop(StopReason.FATAL)

    def _outage_now(self, client: Transport) -> bool:
        if self._watch.over_threshold(client):
            self._declare_outage()
        return self._watch.active

    def _declare_outage(self) -> None:
        begun = self._watch.begin(self._mhs_url, self.clock())
        if begun is not None:
            self._event(
                "outage",
                f"Paused: {begun.reason()}; probing with one message at a time",
                cause=begun.cause.describe(),
            )

    def _outage_step(self, client: Transport, now: datetime) -> None:
        """While paused for an outage: read the last probe, stop at the limit, send the next."""
        step = self._watch.step(now)
        if step is outage_watch.Step.OVER:
            self._outage_over(client, now)
        elif step is outage_watch.Step.GIVE_UP:
            current = self._watch.current
            assert current is not None
            self._fatal = self._fatal or current.giving_up(now)
            self._event("outage_limit", f"Stopping: {self._fatal}", probes=current.tries)
            self.stop(StopReason.OUTAGE)
        elif step is outage_watch.Step.PROBE:
            job = self._probe_job()
            if job is not None:
                self._watch.start_probe(self._probe(client, job))
            elif not self._inflight and (self._pds is None or self._pds.idle()):
                self._outage_over(client, now)  # nothing is left to send: nothing to wait for

    def _probe_job(self) -> Job | None:
        """The next waiting patient: interrupted first, then those whose attempts ran out."""
        if self._deferred:
            return self._deferred.popleft()
        if self._later:
            return self._later.popleft()
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return self._pds.take() if self._pds is not None else None

    async def _probe(self, client: Transport, job: Job) -> bool:
        """One try of the patient's next message; True when the MHS answered it at all."""
        return await outage_watch.answered(client, self._send(client, job, attempts=1))

    def _outage_over(self, client: Transport, now: datetime) -> None:
        ended = self._watch.end(client)
        assert ended is not None
        self._count_lone_rounds()
        minutes = (now - ended.since).total_seconds() / 60
        self._event(
            "outage_over",
            f"The MHS at {ended.url} answers again: continuing (paused {minutes:.1f} min, "
            f"{ended.tries} failed probes)",
            probes=ended.tries,
        )

    # ----- outcomes and the writer -----------------------------------------------------------

    def _finalise_job(
        self,
        job: Job,
        bucket: Bucket,
        code: str | None,
        text: str | None,
        result: SendResult,
        now: datetime,
    ) -> None:
        self._finalise(
            job.item,
            bucket,
            code,
            text,
            job.message_id,
            job.attempts,
            now,
            http_status=result.http_status,
            ack_code=result.ack_code,
            latency_ms=result.latency_ms,
        )

    def _finalise(
        self,
        item: WorkItem,
        bucket: Bucket,
        code: str | None,
        text: str | None,
        message_id: str | None,
        attempts: int,
        now: datetime,
        previous: Bucket = Bucket.SENDING,
        **attempt: Any,
    ) -> None:
        self._outcomes.append(
            PatientOutcome(
                item.patient_id,
                bucket,
                code,
                text,
                message_id,
                attempts,
                now,
                previous=previous,
                **attempt,
            )
        )

    async def _write(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_INTERVAL)
            self._flush()

    def _flush(self) -> None:
        if not self._outcomes:
            return
        batch = self._outcomes
        assert self._run_id is not None
        started = time.perf_counter()
        # Raises with the batch still held: nothing is dropped if the write fails.
        upload_state.record_outcomes(batch, self._run_id, self._kind.id)
        self._outcomes = []
        if self._acks is not None:
            self._acks.committed(batch)
        self.max_flush_ms = max(self.max_flush_ms, (time.perf_counter() - started) * 1000)
        # Counters move only once the database holds the outcome.
        for o in batch:
            self._move(o.previous, o.bucket)
            self._c.tally.add(o.bucket, o.reason_code, o.reason_text)
        self._c.checked += len(batch)
        self._outstanding -= len(batch)
        self._rate.add(time.monotonic(), self._c.checked)
        if self._recorder is not None:
            self._recorder.progress(self.clock(), self._c.checked, self._c.queued)
        self._maybe_finished()

    def _move(self, old: Bucket, new: Bucket) -> None:
        for counts in (self._c.counts, self._c.scope):  # every run patient is in its scope
            counts[old] = counts.get(old, 0) - 1
            counts[new] = counts.get(new, 0) + 1

    def _count_buckets(self) -> None:
        """The upload's buckets from the database: the practice's and the run's group's."""
        kind = self._kind.id
        self._c.counts = queries.bucket_counts(kind)
        group = self._request.group if self._request else None
        try:
            self._c.scope = (
                upload_state.group_bucket_counts(group, kind) if group else dict(self._c.counts)
            )
        except upload_state.GroupNotFound:  # deleted meanwhile: the practice's, not nothing
            self._c.scope = dict(self._c.counts)

    def _maybe_finished(self) -> None:
        if self._producer_done and self._outstanding == 0 and not self._outcomes:
            if self._stop_reason is None:
                self._stop_reason = StopReason.COMPLETED
            self._finished.set()
        elif self._stop_reason is not None and self._inflight == 0:
            self._finished.set()

    # ----- control: gates and schedule -------------------------------------------------------

    async def _control(self, client: Transport, schedule: Schedule) -> None:
        while True:
            now = self.clock()
            if self._stop_reason is None:
                # Counted over every attempt, not only at a patient's end: the pause begins
                # after outage_after_failures failed tries, whatever max_attempts is.
                self._outage_now(client)
            hold = self._gates(now, schedule)
            # Probes go only when nothing but the outage holds the run (not a pulled card).
            if hold is not None and hold[1].startswith(outage_text.PREFIX):
                self._outage_step(client, now)
                hold = self._gates(now, schedule)
            self._apply(hold)
            if self._stop_reason is not None:
                self._set_status(RunStatus.STOPPING, self._stop_reason.value)
                self._maybe_finished()
            await asyncio.sleep(self.tick)

    def _count_lone_rounds(self) -> None:
        """The MHS is back and nothing but patients whose attempts ran out is left: no other
        patient can tell their fault from an outage, so each such return counts a round."""
        if self._deferred or self._inflight or not self._queue.empty() or not self._fed():
            return
        for job in self._later:
            job.rounds += 1

    def _gates(self, now: datetime, schedule: Schedule) -> tuple[RunStatus, str] | None:
        """The status to hold in, or None when sends may go (the order: gates.py)."""
        if self._stop_reason is not None:
            return RunStatus.STOPPING, self._stop_reason.value
        state = self.gate.gate_state()
        stop = gates.card_stop(state)
        if stop is not None:
            self.stop(stop)
            return RunStatus.STOPPING, stop.value
        window = window_at(schedule, now, self._started_at, self._skip_pause_until)
        self._next_event = window.next_event
        self._next_event_text = gates.describe_next(window.window, window.next_event, schedule)
        if window.window is Window.STOPPED:
            self.stop(StopReason.STOP_TIME)
            return RunStatus.STOPPING, StopReason.STOP_TIME.value
        if window.window is Window.WAIT_START:
            return RunStatus.SCHEDULED, gates.waiting(window)
        if self._started_at is None:
            self._begin(now)
        reason = gates.card_pause(self.gate) or gates.pause(
            window, self._manual_pause, self._watch.current
        )
        if reason is not None:
            return RunStatus.PAUSED, reason
        if self._acks is not None:
            return self._acks.hold()
        return None

    def _begin(self, now: datetime) -> None:
        """The run starts: enrol its patients now, not when it was scheduled."""
        request = self._request
        assert request is not None and self._run_id is not None
        self._started_at = now
        assert self._author is not None
        changed = kinds.local_changes(self._kind, request.mode, self._run_id, self._author, now)
        if changed is not None:
            self._event("local_changes", f"Local consent codes recoded: {changed} patients")
        kind = self._kind.id
        pass_number = (
            upload_state.next_pass(kind)
            if request.mode is Mode.RERUN
            else upload_state.current_pass(kind)
        )
        self._c.total = upload_state.enrol(
            request.mode, self._run_id, request.group, pass_number, kind
        )
        self._count_buckets()
        upload_state.mark_run_started(self._run_id, now)
        self._event("run_started", f"Started: {self._c.total} patients to check")
        self._started.set()

    def _apply(self, hold: tuple[RunStatus, str] | None) -> None:
        if hold is None:
            if not self._open.is_set():
                self._give_up.clear()
                self._open.set()
            self._set_status(RunStatus.RUNNING, "")
            return
        if self._stop_reason is None:
            self._open.clear()
            self._give_up.set()
        self._set_status(*hold)

    def _set_status(self, status: RunStatus, reason: str) -> None:
        if (status, reason) == (self._status, self._reason):
            return
        if status is RunStatus.RUNNING and self._active_since is None:
            self._active_since = time.monotonic()
        elif status is not RunStatus.RUNNING and self._active_since is not None:
            self._active_seconds += time.monotonic() - self._active_since
            self._active_since = None
            self._rate.reset()
        self._status, self._reason = status, reason
        upload_state.set_status(status.value, reason, self.clock(), self._kind.id)
        if self._recorder is not None:
            self._recorder.status(
                self.clock(), status.value, reason, self._c.checked, self._c.queued
            )
        text = f"Status {status.value}" + (f": {reason}" if reason else "")
        self._event("status", text, status=status.value, reason=reason)

    def _event(self, event: str, text: str, **fields: Any) -> None:
        if self._runlog is not None:
            self._runlog.write(self.clock(), event, text, run_id=self._run_id, **fields)
        else:
            self.log.info(event, text=text, **fields)

    def _finish(self, run_id: int) -> Snapshot:
        reason = self._stop_reason or StopReason.USER
        try:
            with store_errors(self.home.db_path):
                self._record_finish(run_id, reason)
        except StoreError as exc:
            # Another program still holds the database: the run has stopped all the same. The
            # database keeps its active status, which `scrtui status` shows as interrupted
            # (no process holds the upload lock), and Resume continues from what was written.
            self._fatal = self._fatal or str(exc)
            self.log.error("finish_not_recorded", error=str(exc))
        return self.snapshot()

    def _record_finish(self, run_id: int, reason: StopReason) -> None:
        self._set_status(RunStatus.STOPPED, reason.value)
        self._next_event, self._next_event_text = None, ""  # nothing comes after the end
        self._count_buckets()
        c = self._c.counts
        detail = (
            f"sent {c[Bucket.SENT]}, failed {c[Bucket.FAILED]}, not required "
            f"{c[Bucket.NOT_REQUIRED]}, sending {c[Bucket.SENDING]}, unprocessed "
            f"{c[Bucket.UNPROCESSED]}"
        )
        if self._fatal:
            detail += f"; {self._fatal}"
        upload_state.finish_run(run_id, self.clock(), reason.value, detail)
        self._event("run_finished", f"Run finished ({reason.value}): {detail}")


def _hhmm(value: Any) -> str | None:
    return value.strftime("%H:%M") if value else None
