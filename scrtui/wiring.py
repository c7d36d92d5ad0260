"""The real Services behind the UI: database, upload engine and smartcard session."""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import sqlite3
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from peewee import DatabaseError as PeeweeDatabaseError

from scrtui.card import CardBackend, CardError, make_backend
from scrtui.card.session import CardSession, NotAuthorised
from scrtui.card.simulated import SimulatedBackend
from scrtui.domain import nhs_number, pds_match, report_formats, uploads
from scrtui.domain import preview as preview_rules
from scrtui.domain.completion_report import CompletionReport
from scrtui.domain.preflight import Preflight, unknown_group
from scrtui.domain.preview import PreviewResult, Verdict
from scrtui.domain.progress import RunStatus, Snapshot, StopReason
from scrtui.domain.rbac import UPLOAD_ACTIVITY
from scrtui.domain.records import Author, Bucket, Mode
from scrtui.domain.spreadsheet import safe_row
from scrtui.domain.uploads import UploadId
from scrtui.engine import preview as preview_engine
from scrtui.engine.engine import Refused, UploadEngine
from scrtui.engine.preflight import preflight_of
from scrtui.engine.runlog import RunLog
from scrtui.paths import Home, write_private
from scrtui.services import (
    CardProblem,
    CardView,
    ConsentChange,
    Elsewhere,
    GroupInfo,
    LastRun,
    LoginResult,
    Overview,
    PatientRow,
    ReasonCount,
    ReasonFilter,
    RoleChoice,
    ServiceError,
    UploadRefused,
    UploadRequest,
)
from scrtui.settings import Settings, SettingsError, save, with_changes
from scrtui.store import completion, consent_changes, queries, reason_view, report
from scrtui.store import groups as group_store
from scrtui.store.db import StoreError, as_store_error, open_database
from scrtui.store.models import database

P = ParamSpec("P")
R = TypeVar("R")
S = TypeVar("S")


async def in_thread(work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """The one threading rule (issue 12): database and file work runs in a worker thread,
    never on the event loop the UI (and the engine) runs on; every such service goes through
    here, so a screen just awaits.

    Peewee's SqliteDatabase keeps its connection per thread (thread-local state, opened on
    first use with scrtui/store/db.py's PRAGMAS: WAL, busy_timeout), so a worker reads on its
    own connection beside the engine's writes on the loop's: WAL lets readers and one writer
    run at once, and busy_timeout makes a second writer wait instead of failing.
    """
    try:
        return await asyncio.to_thread(work, *args, **kwargs)
    except ServiceError:
        raise
    except (PeeweeDatabaseError, sqlite3.Error, StoreError) as exc:  # chained for the log
        raise ServiceError(store_problem(exc)) from exc
    except OSError as exc:
        raise ServiceError(os_problem(exc)) from exc


def store_problem(exc: BaseException) -> str:
    """A database error in the user's words (scrtui/store/db.py as_store_error): damaged,
    read-only, busy or a full disk, where, and what to do."""
    opened = database.obj
    path = Path(opened.database) if opened is not None else Path("scrtui.db")
    text = str(as_store_error(exc, path))
    return f"{text[:1].upper()}{text[1:].rstrip('.')}."


def os_problem(exc: OSError) -> str:
    """A file the service could not use, and what to do."""
    where = f" {exc.filename}" if exc.filename else ""
    return (
        f"Cannot use the file{where}: {exc.strerror or exc}. Check that it exists, that this "
        "user may read and write it, and that its disk has room; then try again."
    )


async def _in_a_thread(work: Callable[[], R]) -> R:
    return await in_thread(work)


def off_loop(
    method: Callable[Concatenate[S, P], R],
) -> Callable[Concatenate[S, P], Coroutine[Any, Any, R]]:
    """A service method whose whole body is database or file work, run by in_thread."""

    async def hop(service: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await in_thread(method, service, *args, **kwargs)

    functools.update_wrapper(hop, method)  # its name and docstring
    return hop


class AppServices:
    """Implements scrtui.services.Services."""

    def __init__(
        self,
        home: Home,
        settings: Settings,
        session: CardSession,
        backend: CardBackend,
        *,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self.home = home
        self.settings = settings
        self.session = session
        self.backend = backend
        self.clock = clock
        self.engine: UploadEngine | None = None
        # The database's status of the chosen upload, as read_snapshot last read it; None while
        # the engine's own figures stand for it (a run, or the upload of the last one).
        self._stored: Snapshot | None = Snapshot()

    # ----- the upload ------------------------------------------------------------------------

    @off_loop
    def overview(self, upload: UploadId = UploadId.INITIAL) -> Overview:
        state = queries.upload_state(upload)
        run = queries.last_run(upload)
        last = None
        if run is not None:
            last = LastRun(
                user_name=run.user_name,
                role=run.job_role,
                mode=Mode(run.mode),
                started_at=run.started_at,
                scheduled_for=run.start_at,
                ended_at=run.ended_at,
                outcome=run.outcome or "not finished",
                stop_at=run.stop_at,
                resume_at=run.resume_at,
            )
        return Overview(
            status=state.status,
            reason=state.status_reason,
            counts=queries.bucket_counts(upload),
            last_run=last,
            gp_summary_enabled=self.settings.gp_summary_enabled,
            pds_sync=self.settings.pds_sync,
            upload=upload,
            ever_completed=queries.ever_completed(upload),
        )

    @off_loop
    def groups(self) -> list[GroupInfo]:
        return [_group_info(g) for g in group_store.list_groups()]

    async def preflight(
        self,
        mode: Mode,
        group: str | None = None,
        upload: UploadId = UploadId.INITIAL,
        *,
        before_group: bool = False,
        card: bool = True,
        upload_date: date | None = None,
    ) -> Preflight:
        busy = await self._busy()
        if busy:
            return Preflight(refusal=busy)
        today = self.clock().date()
        answer = await in_thread(
            preflight_of, mode, group, upload, self.settings,
            before_group=before_group, upload_date=upload_date, today=today,
        )  # fmt: skip
        if answer.refusal or not card:
            return answer
        card_refusal = self._card_refusal()
        return Preflight(refusal=card_refusal) if card_refusal else answer

    async def _busy(self) -> str | None:
        """An upload already runs (in this process; WindowServices asks other processes too)."""
        if self.engine is not None and self.engine.running:
            return "An upload is already running: pause or stop it first."
        return None

    def card_refusal(self) -> str | None:
        """Why this process's card session may not start an upload now, or None."""
        return self._card_refusal()

    def _card_refusal(self) -> str | None:
        if self.session.author() is None:
            return "Log in with your smartcard first (insert the card and enter your passcode)."
        try:
            self.session.require(UPLOAD_ACTIVITY)
        except NotAuthorised as exc:  # its message names the activity and the role
            return str(exc)
        if not self.session.gate_open():
            return self.session.gate_reason()
        return None

    async def run_upload(self, request: UploadRequest) -> Snapshot:
        # The rest of the preflight is asked once more by the engine (UploadEngine.check).
        reason = self._card_refusal()
        if reason:
            raise UploadRefused(reason)
        self.engine = UploadEngine(self.home, self.settings, self.session, clock=self.clock)
        self._stored = None
        try:
            return await self.engine.run(request)
        except Refused as exc:  # raised before the run changed anything
            raise UploadRefused(str(exc)) from None

    def snapshot(self) -> Snapshot:
        """Memory only (the App polls it ten times a second): the run's figures, or what
        read_snapshot last read from the database."""
        if self.engine is not None and (self.engine.running or self._stored is None):
            return self.engine.snapshot()
        return self._stored or Snapshot()

    # An upload in another process: AppServices never follows one (scrtui/remote/window.py's
    # WindowServices does, for the app's windows); a process that runs its own upload is it.
    def watch_elsewhere(self) -> None:
        return None

    def elsewhere(self) -> Elsewhere | None:
        return None

    async def follow_elsewhere(self) -> Snapshot:
        raise ServiceError("No upload runs in another process.")

    def take_control(self) -> None:
        return None

    def forget_gone(self) -> None:
        return None

    async def read_snapshot(self, upload: UploadId = UploadId.INITIAL) -> Snapshot:
        engine = self.engine
        if engine is not None and (engine.running or engine.snapshot().upload == upload):
            self._stored = None  # the run's figures (its window shows them after the end too)
            return engine.snapshot()
        self._stored = await in_thread(_stored_snapshot, upload)
        return self._stored

    def pause(self) -> None:
        if self.engine is not None:
            self.engine.pause()

    def resume(self) -> None:
        if self.engine is not None:
            self.engine.resume()

    def stop(self, reason: StopReason = StopReason.USER) -> None:
        if self.engine is not None:
            self.engine.stop(reason)

    # ----- the go-live preview ----------------------------------------------------------------

    async def preview(
        self, mode: Mode, group: str | None = None, upload: UploadId = UploadId.INITIAL
    ) -> PreviewResult:
        if self.engine is not None and self.engine.running:
            raise ServiceError("An upload is running: preview once it has stopped.")
        if group is not None and not await self.group_exists(group):
            raise ServiceError(await in_thread(_unknown_group, group))
        request = preview_engine.PreviewRequest(upload, mode, group)
        author = self.session.author()
        who = f"{author.name}, {author.job_role_code}" if author else "no smartcard session"

        try:
            return await preview_engine.run_preview(
                request,
                self.settings,
                self.home,
                who=who,
                card_open=self.session.gate_open,
                clock=self.clock,
                off_loop=_in_a_thread,
            )
        except preview_engine.PreviewRefused as exc:
            raise ServiceError(str(exc)) from None

    @off_loop
    def export_preview(self, result: PreviewResult, verdict: Verdict | None, search: str) -> str:
        rows = [
            r
            for r in result.rows
            if (verdict is None or r.verdict is verdict) and preview_rules.matches(r, search)
        ]
        label = verdict.value if verdict else "all"
        stamp = f"{self.clock():%Y%m%d-%H%M%S}"
        name = f"scr-preview-{result.upload}-{result.mode.value}-{label}-{stamp}.csv"
        path = self.home.root / "exports" / name
        try:
            write_private(path, preview_csv(rows))
        except OSError as exc:
            raise ServiceError(f"Cannot write {path}: {exc.strerror}") from None
        self._note(
            "preview_exported",
            f"Exported {len(rows)} preview rows to {path}",
            rows=len(rows),
            upload=result.upload,
        )
        return str(path)

    # ----- the completion report -------------------------------------------------------------

    @off_loop
    def completion_report(self, upload: UploadId = UploadId.INITIAL) -> CompletionReport:
        try:
            return completion.completion_report(
                upload,
                ods_code=self.settings.ods_code,
                practice_name=self.settings.practice_name,
                now=self.clock(),
            )
        except completion.NoRun as exc:
            raise ServiceError(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from None

    async def export_completion_report(self, upload: UploadId = UploadId.INITIAL) -> list[str]:
        report = await self.completion_report(upload)
        return await in_thread(self._write_completion_report, report)

    def _write_completion_report(self, report: CompletionReport) -> list[str]:
        stem = f"scr-completion-{report.upload}-run{report.run_id}-{self.clock():%Y%m%d-%H%M%S}"
        paths = []
        try:
            for fmt in ("html", "csv", "json"):
                path = self.home.root / "exports" / f"{stem}.{fmt}"
                paths.append(str(write_private(path, report_formats.rendered(report, fmt))))
        except OSError as exc:
            raise ServiceError(f"Cannot write the report: {exc.strerror}") from None
        self._note("completion_report_exported", f"Completion report of run {report.run_id} "
                   f"exported to {paths[0]} (and .csv, .json)", run_id=report.run_id,
                   upload=report.upload)  # fmt: skip
        return paths

    # ----- the card --------------------------------------------------------------------------

    def card_view(self) -> CardView:
        return self.session.view()

    async def login(self, passcode: str) -> LoginResult:
        # APDUs block for a few ms (more on a slow reader): keep them off the UI loop.
        try:
            return await asyncio.to_thread(self.session.login, passcode)
        except CardError as exc:  # the reader went away mid-exchange: a card problem, said
            raise CardProblem(f"The smartcard could not be read: {exc}") from exc

    def choose_role(self, role_profile_id: str) -> None:
        self.session.choose_role(role_profile_id)

    # For the commands (scrtui/cli/upload.py), which log in and sign without the app's views.
    def roles(self) -> tuple[RoleChoice, ...]:
        """Every role profile the logged-in card user has at this practice."""
        return self.session.roles()

    def author(self) -> Author | None:
        """Who the card session acts as (None before a role is chosen)."""
        return self.session.author()

    @off_loop
    def status_document(self, upload: UploadId = UploadId.INITIAL) -> dict[str, Any]:
        """What `scrtui status --json` prints for `upload`."""
        return queries.status_document(upload)

    def toggle_simulated_card(self) -> None:
        if isinstance(self.backend, SimulatedBackend):  # the only card moved from the keyboard
            self.backend.toggle()

    def unblock_simulated_card(self) -> None:
        unblock = getattr(self.backend, "unblock", None)
        if unblock is not None:  # a real card is unblocked by the Registration Authority only
            unblock()

    # ----- SCR Reporter ----------------------------------------------------------------------

    @off_loop
    def report_count(
        self, bucket: Bucket | None, search: str = "", upload: UploadId = UploadId.INITIAL
    ) -> int:
        return report.count_rows(bucket, search or None, uploads.kind(upload).id)

    @off_loop
    def report_page(
        self,
        bucket: Bucket | None,
        search: str,
        order: str,
        offset: int,
        limit: int,
        upload: UploadId = UploadId.INITIAL,
    ) -> list[PatientRow]:
        rows = report.report_rows(
            bucket, search or None, order, offset, limit, kind=uploads.kind(upload).id
        )
        return [_patient_row(r) for r in rows]

    @off_loop
    def reason_counts(self, upload: UploadId = UploadId.INITIAL) -> list[ReasonCount]:
        return [
            ReasonCount(bucket, code, pds_match.summary_text(code, text), n)
            for bucket, code, text, n in report.reason_counts(uploads.kind(upload).id)
        ]

    @off_loop
    def export_report(
        self, bucket: Bucket | None, search: str, order: str, upload: UploadId = UploadId.INITIAL
    ) -> str:
        kind = uploads.kind(upload)
        label = bucket.value if bucket else "all"
        path = self._export_path(kind.id, label)
        try:
            rows = report.export_csv(path, bucket, search or None, order, kind=kind.id)
        except OSError as exc:
            raise ServiceError(f"Cannot write {path}: {exc.strerror}") from None
        self._note(
            "report_exported",
            f"Exported {rows} rows ({kind.label}, {label}) to {path}",
            rows=rows,
            upload=kind.id,
        )
        return str(path)

    def _export_path(self, kind: UploadId, label: str) -> Path:
        exports = self.home.root / "exports"
        exports.mkdir(mode=0o700, exist_ok=True)
        return exports / f"scr-report-{kind}-{label}-{self.clock():%Y%m%d-%H%M%S}.csv"

    @off_loop
    def reason_view_count(
        self, reason: ReasonFilter, search: str = "", upload: UploadId = UploadId.INITIAL
    ) -> int:
        kind = uploads.kind(upload).id
        return reason_view.count(reason.bucket, reason.code, search or None, kind)

    @off_loop
    def reason_view_page(
        self,
        reason: ReasonFilter,
        search: str,
        order: str,
        offset: int,
        limit: int,
        upload: UploadId = UploadId.INITIAL,
    ) -> list[PatientRow]:
        kind = uploads.kind(upload).id
        rows = reason_view.rows(
            reason.bucket, reason.code, search or None, order, offset, limit, kind
        )
        return [_patient_row(r) for r in rows]

    @off_loop
    def export_reason_view(
        self, reason: ReasonFilter, search: str, order: str, upload: UploadId = UploadId.INITIAL
    ) -> str:
        kind = uploads.kind(upload)
        code = "".join(c if c.isalnum() else "-" for c in reason.code or "no-reason")
        label = f"{reason.bucket.value}-{code}"
        path = self._export_path(kind.id, label)
        try:
            rows = reason_view.export_csv(
                path, reason.bucket, reason.code, search or None, order, kind.id
            )
        except OSError as exc:
            raise ServiceError(f"Cannot write {path}: {exc.strerror}") from None
        self._note(
            "report_exported",
            f"Exported {rows} rows ({kind.label}, {reason.bucket.label}, reason "
            f"{reason.code or 'none recorded'}) to {path}",
            rows=rows,
            upload=kind.id,
        )
        return str(path)

    @off_loop
    def consent_changes(self) -> list[ConsentChange]:
        return [
            ConsentChange(
                nhs_number=nhs_number.format_334(row.nhs_number),
                name=row.name,
                before=row.before,
                after=row.after,
                user_name=row.user_name,
                role_profile_id=row.role_profile_id,
                at=row.at,
            )
            for row in consent_changes.change_rows()
        ]

    # ----- patient groups --------------------------------------------------------------------

    async def group_exists(self, name: str) -> bool:
        return await in_thread(self._group_exists, name)

    def _group_exists(self, name: str) -> bool:
        return group_store.find_group(name.strip()) is not None

    @off_loop
    def save_group(
        self, name: str, description: str, patient_ids: list[int], *, how: str = "new"
    ) -> GroupInfo:
        try:
            saved = group_store.save_group_ids(name, description, patient_ids, how)
        except group_store.GroupError as exc:
            raise ServiceError(str(exc)) from None
        self._note("group_saved", f'Group "{saved.name}" saved ({how}), {saved.members} members')
        return _group_info(saved)

    @off_loop
    def import_group_file(
        self, name: str, description: str, path: str, *, how: str = "new"
    ) -> GroupInfo:
        try:
            lines = group_store.read_number_file(Path(path).expanduser())
            # All or nothing: every number is checked before anything is written.
            ids = group_store.resolve_members(lines)
            saved = group_store.save_group_ids(name, description, ids, how)
        except group_store.GroupError as exc:
            raise ServiceError(str(exc)) from None
        except OSError as exc:
            raise ServiceError(f"Cannot read {path}: {exc.strerror}") from None
        self._note(
            "group_imported", f'Group "{saved.name}" from {path} ({how}), {saved.members} members'
        )
        return _group_info(saved)

    @off_loop
    def group_members(self, name: str) -> list[PatientRow]:
        try:
            return [_patient_row(r) for r in report.group_rows(name)]
        except group_store.GroupError as exc:
            raise ServiceError(str(exc)) from None

    @off_loop
    def delete_group(self, name: str) -> None:
        try:
            group_store.delete_group(name)
        except group_store.GroupError as exc:
            raise ServiceError(str(exc)) from None
        self._note("group_deleted", f'Group "{name.strip()}" deleted')

    # ----- settings --------------------------------------------------------------------------

    def settings_refusal(self) -> str | None:
        if self.engine is not None and self.engine.running:
            return "An upload is running: stop it before changing the settings."
        if self.session.author() is None:
            return "Changing settings needs your smartcard session: log in first (F3 in the app)."
        try:
            self.session.require(UPLOAD_ACTIVITY, action="Changing the SCR settings")
        except NotAuthorised as exc:  # its message names the activity and the role
            return str(exc)
        return None

    async def update_settings(self, **changes: object) -> Settings:
        refusal = self.settings_refusal()
        if refusal:
            raise ServiceError(refusal)
        try:
            updated = with_changes(self.settings, **changes)
        except SettingsError as exc:
            raise ServiceError(exc.user_message(), field=exc.attr) from None
        await in_thread(self._save_settings, self.settings, updated, changes)
        # On the loop, where the engine and the card session read them.
        self.settings = updated
        self.session.set_mhs_url(updated.mhs_url)
        return updated

    def _save_settings(self, old: Settings, updated: Settings, changes: dict[str, object]) -> None:
        save(self.home.settings_path, updated)
        for key, new in changes.items():
            before = getattr(old, key)
            if before != getattr(updated, key):
                self._note(
                    "setting_changed",
                    f"Setting {key} changed from {before!r} to {new!r}",
                    key=key,
                )

    # ----- the run log -----------------------------------------------------------------------

    def upload_log_path(self, upload: UploadId | None = UploadId.INITIAL) -> str:
        return str(self.home.run_log(upload))

    @off_loop
    def upload_log_tail(
        self, max_lines: int = 500, upload: UploadId | None = UploadId.INITIAL
    ) -> list[str]:
        return tail_lines(self.home.run_log(upload), max_lines)

    def _note(self, event: str, text: str, upload: str | None = None, **fields: object) -> None:
        """Administrative changes go to a run log and the JSON log, with who did them: an
        export to its upload's log, settings and groups (no upload's) to the practice log."""
        author = self.session.author()
        who = f"{author.name}, {author.job_role_code}" if author else "no smartcard session"
        RunLog(self.home.run_log(upload), who, upload).write(self.clock(), event, text, **fields)

    def start_card(self) -> None:
        """Watch the reader (create_services does, unless told to leave it for later)."""
        self.backend.start()

    def close(self) -> None:
        self.backend.stop()


def _stored_snapshot(upload: UploadId) -> Snapshot:
    """No run in progress: what the database says about `upload`, so the status bar agrees
    with the screens after a restart ("Stopped: completed", not "idle")."""
    stored = queries.upload_state(upload)
    counts = queries.bucket_counts(upload)
    if stored.status == RunStatus.STOPPED.value:
        return Snapshot(
            status=RunStatus.STOPPED,
            reason=stored.status_reason or "",
            upload=upload,
            counts=counts,
        )
    return Snapshot(status=RunStatus.IDLE, upload=upload, counts=counts)


def preview_csv(rows: list[preview_rules.PreviewRow]) -> str:
    """The preview's rows as CSV text, spreadsheet formulas defused as the report's are."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(preview_rules.PREVIEW_COLUMNS)
    writer.writerows(safe_row(cells) for cells in preview_rules.csv_rows(rows))
    return buffer.getvalue()


def _unknown_group(name: str) -> str:
    return unknown_group(name, [g.name for g in group_store.list_groups()])


def _patient_row(row: report.ReportRow) -> PatientRow:
    return PatientRow(
        patient_id=row.patient_id,
        nhs_number=row.nhs_number,
        name=row.name,
        bucket=row.bucket,
        reason_code=row.reason_code,
        reason_text=row.reason_text,
        attempts=row.attempts,
        last_attempt=row.last_attempt,
    )


def _group_info(g: group_store.GroupSummary) -> GroupInfo:
    return GroupInfo(name=g.name, description=g.description, members=g.members, system=g.system)


def tail_lines(path: Path, max_lines: int) -> list[str]:
    """The last lines of a file without reading all of it (the run log grows for years)."""
    if not path.exists():
        return []
    with open(path, "rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        block = min(size, max(4096, max_lines * 200))
        handle.seek(size - block)
        data = handle.read()
    lines = data.decode("utf-8", errors="replace").splitlines()
    if block < size:
        lines = lines[1:]  # the first line read is probably cut
    return lines[-max_lines:]


def create_services(
    home: Home,
    settings: Settings,
    *,
    card: str | None = None,
    reader: str | None = None,
    clock: Callable[[], datetime] = datetime.now,
    kind: type[AppServices] = AppServices,  # the app's windows: scrtui/remote/window.py
    start_card: bool = True,  # False: start_card() when it is needed (scrtui upload's prompt)
) -> AppServices:
    open_database(home.db_path)
    backend = make_backend(settings, kind=card, reader=reader)
    session = CardSession(backend, queries.find_user, clock=clock, mhs_url=settings.mhs_url)
    services = kind(home, settings, session, backend, clock=clock)
    if start_card:
        services.start_card()
    return services
