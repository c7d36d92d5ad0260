"""What the UI may ask of the rest of the program: plain views and intents.

The UI (scrtui/ui) imports only this module, scrtui.domain and scrtui.settings; the real
implementation (scrtui/wiring.py) talks to the database, the engine and the card.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from scrtui.card.views import CardState as CardState
from scrtui.card.views import CardView as CardView
from scrtui.card.views import LoginResult as LoginResult
from scrtui.card.views import RoleChoice as RoleChoice
from scrtui.domain.completion_report import CompletionReport
from scrtui.domain.preflight import Preflight as Preflight
from scrtui.domain.preview import PreviewResult, Verdict
from scrtui.domain.progress import Snapshot, StopReason
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.upload_request import UploadRequest as UploadRequest

# Words the lower layers share with the UI live below both (card/, domain/); re-exported here,
# the UI's one door.
from scrtui.domain.uploads import UploadId
from scrtui.settings import Settings


@dataclass(frozen=True)
class LastRun:
    user_name: str
    role: str
    mode: Mode
    started_at: datetime | None
    ended_at: datetime | None
    outcome: str
    stop_at: str | None = None  # hh:mm: its stop/resume window, which Resume keeps
    scheduled_for: datetime | None = None  # its deferred start, if it was scheduled
    resume_at: str | None = None


@dataclass(frozen=True)
class Overview:
    status: str
    reason: str
    counts: dict[Bucket, int] = field(default_factory=dict)
    last_run: LastRun | None = None
    gp_summary_enabled: bool = True
    pds_sync: bool = True  # off: summaries go without the PDS check (a warning on screen)
    upload: UploadId = UploadId.INITIAL  # which bulk upload this is about
    ever_completed: bool = False  # a run of this upload has completed (run_warning asks)


@dataclass(frozen=True)
class GroupInfo:
    name: str
    description: str
    members: int
    system: bool


@dataclass(frozen=True)
class Elsewhere:
    """An upload run by another process on this data directory: a background upload process
    (started by an app window or `scrtui upload --detach`) or `scrtui upload` in a terminal.

    Its figures come through snapshot() and card_view() while this window follows it."""

    pid: int
    started_by: str  # who and from where, e.g. "Demo Administrator (R8000), pts/3"
    title: str  # e.g. "Initial Upload - Run"
    background: bool  # False: `scrtui upload` in a terminal, which only that terminal controls
    control: str = ""  # who acts on it ("" when this window does)
    you_control: bool = False
    phase: str = "running"  # "login" (waiting for the passcode), "running", "ended"
    gone: bool = False  # the process ended without finishing the run (killed, crashed)
    message: str = ""  # the process's last word (a refusal before it started)
    upload: UploadId = UploadId.INITIAL  # which bulk upload it runs

    @property
    def read_only(self) -> bool:
        return not self.you_control


class ServiceError(Exception):
    """A request the program refuses or cannot do; the message says what is wrong and what to do.

    The contract of every Services method: what may come out of it is a ServiceError (or a
    subclass). The implementation turns database (peewee, sqlite3) and file (OSError) errors
    into one where its work hops to a worker thread (scrtui/wiring.py in_thread), so a screen
    catches ServiceError and shows its message; anything else is a bug, which the App's one
    fallback handler for workers logs and notifies (scrtui/ui/app.py on_worker_state_changed).

    field: the setting (its Settings attribute) the message is about, so a form can mark it."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class CardProblem(ServiceError):
    """The smartcard or its reader failed during an exchange (a login): the message says what
    to do (reinsert the card, check the reader)."""


class UploadRefused(ServiceError):
    """run_upload refused the run before it changed anything (nothing to resume, no failed
    patients in the group, no card, another upload running...): a refusal, not a stopped run."""


class UploadGone(ServiceError):
    """The background upload process ended without finishing the run (killed, crashed)."""


@dataclass(frozen=True)
class PatientRow:
    patient_id: int
    nhs_number: str  # 3-3-4
    name: str  # "Surname, Forename"
    bucket: Bucket
    reason_code: str | None
    reason_text: str | None
    attempts: int
    last_attempt: str | None  # ISO 8601


@dataclass(frozen=True)
class ConsentChange:
    """One patient's consent code recoded by Consent Migration (its audit)."""

    nhs_number: str  # 3-3-4
    name: str
    before: str | None
    after: str
    user_name: str
    role_profile_id: str
    at: str  # ISO 8601


REPORT_ORDERS = ("nhs", "reason", "name")


@dataclass(frozen=True)
class ReasonCount:
    bucket: Bucket
    reason_code: str | None
    reason_text: str | None
    patients: int


@dataclass(frozen=True)
class ReasonFilter:
    """The SCR Reporter's list narrowed to one reason of one bucket (F11); code None is
    "no reason recorded", a line of its own in the counts by reason."""

    bucket: Bucket
    code: str | None
    text: str | None = None  # the reason's words as the counts show them, for the title


class Services(Protocol):
    """Every method that reads or writes the database or a file is async: the implementation
    runs that work off the UI's event loop (scrtui/wiring.py in_thread), so a screen awaits it
    (in a worker or an async handler) and never calls SQLite itself. The plain methods answer
    from memory."""

    settings: Settings

    # the upload
    async def overview(self, upload: UploadId = UploadId.INITIAL) -> Overview: ...
    async def groups(self) -> list[GroupInfo]: ...
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
        """What to say before `mode` of `upload` (narrowed to `group`) is asked for: why it
        cannot start now (another upload running, nothing to resume, no failures, an unknown
        group, GP Summary off, no card session...), or the warning, the confirmation prompt and
        the stop/resume window a Resume keeps (scrtui/domain/preflight.py). before_group: the
        group is chosen later (the app's upload window), so an upload that needs one is not
        refused for it yet. card=False: the card session is asked later (the CLI logs in after
        the prompt). run_upload asks it once more."""

    async def run_upload(self, request: UploadRequest) -> Snapshot:
        """Run to the end (completed or stopped); the App runs this in its own worker."""

    def snapshot(self) -> Snapshot:
        """The run's figures, or the stored status as read_snapshot last read it."""

    async def read_snapshot(self, upload: UploadId = UploadId.INITIAL) -> Snapshot:
        """Read `upload`'s stored status (no run in this process) for snapshot() to answer
        with (the App asks for the upload chosen on the Bulk Transmission screen)."""

    def pause(self) -> None: ...
    def resume(self) -> None: ...
    def stop(self, reason: StopReason = StopReason.USER) -> None: ...

    # the go-live preview (scrtui/engine/preview.py): nothing is sent or written
    async def preview(
        self, mode: Mode, group: str | None = None, upload: UploadId = UploadId.INITIAL
    ) -> PreviewResult:
        """What `mode` of `upload` would do now for each patient (ServiceError if refused)."""

    async def export_preview(
        self, result: PreviewResult, verdict: Verdict | None, search: str
    ) -> str:
        """Write the preview's view to CSV in the data directory; returns the file's path."""

    # the completion report of an upload's last run (ServiceError when it has none)
    async def completion_report(self, upload: UploadId = UploadId.INITIAL) -> CompletionReport: ...
    async def export_completion_report(self, upload: UploadId = UploadId.INITIAL) -> list[str]:
        """Write the report as HTML, CSV and JSON in the data directory; returns the paths."""

    # an upload in another process (issue 25): a background upload process, or the CLI's
    def watch_elsewhere(self) -> None:
        """Start following uploads other processes run on this data directory (call once, on
        the UI's event loop); elsewhere() then answers from memory."""

    def elsewhere(self) -> Elsewhere | None:
        """The upload another process runs (or ran, if it is gone) that this window follows."""

    async def follow_elsewhere(self) -> Snapshot:
        """Wait until the followed upload ends; its last figures (ServiceError if it is gone)."""

    def take_control(self) -> None:
        """This window acts on the background upload (another window then watches)."""

    def forget_gone(self) -> None:
        """The user has been told the background process is gone: stop saying so."""

    # the card
    def card_view(self) -> CardView: ...
    async def login(self, passcode: str) -> LoginResult: ...
    def choose_role(self, role_profile_id: str) -> None: ...
    def toggle_simulated_card(self) -> None:
        """Demo only: insert or remove the simulated card."""

    def unblock_simulated_card(self) -> None:
        """Demo only: unblock the simulated card (what the Registration Authority does)."""

    # SCR Reporter
    # Each reads one upload's outcome rows (scrtui/domain/uploads.py KINDS; its `upload` id).
    async def report_count(
        self, bucket: Bucket | None, search: str = "", upload: UploadId = UploadId.INITIAL
    ) -> int: ...
    async def report_page(
        self,
        bucket: Bucket | None,
        search: str,
        order: str,
        offset: int,
        limit: int,
        upload: UploadId = UploadId.INITIAL,
    ) -> list[PatientRow]: ...
    async def reason_counts(self, upload: UploadId = UploadId.INITIAL) -> list[ReasonCount]:
        """Failed and Not Required patients counted per reason (the reporter's summary)."""

    async def export_report(
        self, bucket: Bucket | None, search: str, order: str, upload: UploadId = UploadId.INITIAL
    ) -> str:
        """Write the view to CSV in the data directory; returns the file's path."""

    async def reason_view_count(
        self, reason: ReasonFilter, search: str = "", upload: UploadId = UploadId.INITIAL
    ) -> int: ...
    async def reason_view_page(
        self,
        reason: ReasonFilter,
        search: str,
        order: str,
        offset: int,
        limit: int,
        upload: UploadId = UploadId.INITIAL,
    ) -> list[PatientRow]: ...
    async def export_reason_view(
        self, reason: ReasonFilter, search: str, order: str, upload: UploadId = UploadId.INITIAL
    ) -> str:
        """One reason's patients to CSV in the data directory; returns the file's path."""

    async def consent_changes(self) -> list[ConsentChange]:
        """Consent Migration's local recoding, newest first (before/after, user, role, time)."""

    # Patient groups (ServiceError for anything refused)
    async def group_exists(self, name: str) -> bool: ...
    async def save_group(
        self, name: str, description: str, patient_ids: list[int], *, how: str = "new"
    ) -> GroupInfo:
        """how: "new" (refused if the name is taken), "replace" or "add" (to its members)."""

    async def import_group_file(
        self, name: str, description: str, path: str, *, how: str = "new"
    ) -> GroupInfo:
        """Members from a file of NHS numbers, all or nothing; how as for save_group."""

    async def group_members(self, name: str) -> list[PatientRow]: ...
    async def delete_group(self, name: str) -> None: ...

    # Settings (need the card session with B0062; every change is logged)
    def settings_refusal(self) -> str | None: ...
    async def update_settings(self, **changes: object) -> Settings: ...

    # The run log
    def upload_log_path(self, upload: UploadId | None = UploadId.INITIAL) -> str:
        """The run log of `upload` (its own file), or with None the practice log (settings
        and patient group changes)."""

    async def upload_log_tail(
        self, max_lines: int = 500, upload: UploadId | None = UploadId.INITIAL
    ) -> list[str]: ...
