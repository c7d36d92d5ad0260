"""An in-memory Services for UI tests: honest about the protocol, small and predictable.

A "run" really moves patients through Unprocessed -> Sending -> Sent/Failed/Not Required over
time; pause, stop and resume change the status; the simulated card can be inserted and removed,
and logs in with passcode 1234. `fixed` freezes snapshot() for deterministic screenshots.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from scrtui.domain import preflight as preflight_rules
from scrtui.domain.progress import RunStatus, Snapshot, StopReason, eta
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.run_tally import RunTally, TallyCounter
from scrtui.domain.uploads import UploadId
from scrtui.services import (
    CardState,
    CardView,
    Elsewhere,
    GroupInfo,
    LastRun,
    LoginResult,
    Overview,
    Preflight,
    RoleChoice,
    UploadRefused,
    UploadRequest,
)
from scrtui.settings import Settings

PASSCODE = "1234"
ADMIN = RoleChoice("555000000011", "R8000 System Administrator (555000000011)")
GP = RoleChoice("555000000012", "R0260 General Medical Practitioner (555000000012)")
ROLE_NAMES = {
    ADMIN.role_profile_id: "System Administrator",
    GP.role_profile_id: "General Medical Practitioner",
}
B0062_ROLES = {ADMIN.role_profile_id}

GROUPS = (
    GroupInfo("$AUD", "Audit work group", 40, True),
    GroupInfo("DIABETES", "Patients on the diabetes register", 100, False),
    GroupInfo("FIXED0526", "Corrected after the May run", 12, False),
    GroupInfo("NEWREG", "New registrations since go-live", 25, False),
)


def outcome(index: int) -> Bucket:
    """Every 11th patient is ineligible, every 23rd fails; the rest are sent."""
    if index % 11 == 0:
        return Bucket.NOT_REQUIRED
    if index % 23 == 0:
        return Bucket.FAILED
    return Bucket.SENT


def group_members(name: str, patients: int) -> list[int]:
    size = next((g.members for g in GROUPS if g.name == name), 0)
    return list(range(0, patients, max(1, patients // max(size, 1))))[:size]


@dataclass
class FakeCard:
    state: CardState = CardState.LOGGED_IN
    roles: tuple[RoleChoice, ...] = (ADMIN,)
    role_id: str | None = ADMIN.role_profile_id
    tries_left: int = 3
    awaiting_role: bool = False  # passcode accepted, role profile not chosen yet
    simulated: bool = True
    time_left: timedelta = timedelta(hours=9, minutes=58)

    def view(self) -> CardView:
        logged_in = self.state is CardState.LOGGED_IN
        return CardView(
            state=self.state,
            message=_CARD_MESSAGES.get(self.state, ""),
            simulated=self.simulated,
            user_name="Dr Ann Smith" if logged_in else None,
            role_name=ROLE_NAMES.get(self.role_id or "") if logged_in else None,
            has_b0062=logged_in and self.role_id in B0062_ROLES,
            time_left=self.time_left if logged_in else None,
            needs_role_choice=self.awaiting_role,
        )


_CARD_MESSAGES = {
    CardState.NO_CARD: "Insert your smartcard",
    CardState.INSERTED: "",
    CardState.LOCKED: "Reinsert the card and enter your passcode",
}


@dataclass
class FakeServices:
    patients: int = 300
    step_delay: float = 0.004  # seconds per batch: a 300-patient run takes about 0.25 s
    batch: int = 5
    hold: bool = False  # run_upload waits (status Running) without processing, until stopped
    fail_after: int | None = None  # raise from run_upload after this many patients
    card: FakeCard = field(default_factory=FakeCard)
    settings: Settings = field(default_factory=lambda: Settings(card_backend="simulated"))
    fixed: Snapshot | None = None  # once a run starts, snapshot() returns this, whatever happens
    last_run: LastRun | None = None
    calls: list[str] = field(default_factory=list)
    group_list: tuple[GroupInfo, ...] = GROUPS
    # Whether Consent Migration has completed: the Initial Upload's Run warns until it has.
    consent_migrated: bool = True
    refuse_at_start: str = ""  # run_upload refuses with this, as the engine does at its check
    # An upload another process runs (issue 25); snapshot() then returns `fixed` if set.
    other: Elsewhere | None = None

    def __post_init__(self) -> None:
        self.buckets = [Bucket.UNPROCESSED] * self.patients
        self.status = RunStatus.IDLE
        self.reason = ""
        self.request: UploadRequest | None = None
        self.total = 0
        self.checked = 0
        self.queued = 0
        self.interrupted = False
        self.running = False
        self._paused = False
        self._stop = False
        self._started = 0.0
        self._tally = TallyCounter()  # this run's own outcomes, as the engine counts them
        self._wake = asyncio.Event()

    # ----- the upload --------------------------------------------------------------------------

    def counts(self) -> dict[Bucket, int]:
        counts = {b: 0 for b in Bucket}
        for bucket in self.buckets:
            counts[bucket] += 1
        return counts

    async def overview(self, upload: UploadId = UploadId.INITIAL) -> Overview:
        if upload != "initial":  # the fake runs only the Initial Upload: the others never ran
            return Overview(
                status="idle",
                reason="",
                counts={b: self.patients if b is Bucket.UNPROCESSED else 0 for b in Bucket},
                gp_summary_enabled=self.settings.gp_summary_enabled,
                upload=upload,
                ever_completed=upload == "consent-migration" and self.consent_migrated,
            )
        return Overview(
            status=self.status.value,
            reason=self.reason,
            counts=self.counts(),
            last_run=self.last_run,
            gp_summary_enabled=self.settings.gp_summary_enabled,
        )

    async def groups(self) -> list[GroupInfo]:
        return self.group_infos()

    def group_infos(self) -> list[GroupInfo]:
        return list(self.group_list)

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
        """The real rules (scrtui/domain/preflight.py) over this fake's patients."""
        if self.running:
            return Preflight(refusal="An upload is already running: pause or stop it first.")
        names = [g.name for g in self.group_list]
        buckets = self._buckets_of(group) if group in names or group is None else []
        last = self.last_run

        def selected(chosen: Mode) -> int:
            if chosen is Mode.RESUME and not self.interrupted:
                return 0
            wanted = {Mode.FAILED: {Bucket.FAILED}, Mode.RERUN: set(Bucket)}.get(
                chosen, {Bucket.UNPROCESSED, Bucket.SENDING}
            )
            return sum(b in wanted for b in buckets)

        answer = preflight_rules.decide(
            preflight_rules.Facts(
                upload=upload,
                mode=mode,
                group=group,
                gp_summary_enabled=self.settings.gp_summary_enabled,
                known_groups=names,
                group_exists=group is None or group in names,
                selected=selected,
                ever_sent=lambda: sum(b is Bucket.SENT for b in buckets),
                consent_migration_completed=lambda: self.consent_migrated,
                last_window=(last.stop_at, last.resume_at) if last else None,
                before_group=before_group,
            )
        )
        if answer.refusal or not card or self.card.state is CardState.LOGGED_IN:
            return answer
        return Preflight(
            refusal="Log in with your smartcard first (insert the card and enter your passcode)."
        )

    def _buckets_of(self, group: str | None) -> list[Bucket]:
        members = group_members(group, self.patients) if group else range(self.patients)
        return [self.buckets[i] for i in members]

    def _select(self, request: UploadRequest) -> list[int]:
        everyone = range(self.patients)
        if request.group:
            everyone = group_members(request.group, self.patients)  # type: ignore[assignment]
        if request.mode is Mode.RUN or request.mode is Mode.RESUME:
            wanted = {Bucket.UNPROCESSED, Bucket.SENDING}
        elif request.mode is Mode.FAILED:
            wanted = {Bucket.FAILED}
        else:
            wanted = {Bucket.UNPROCESSED, Bucket.SENDING, Bucket.SENT, Bucket.FAILED}
        chosen = [i for i in everyone if self.buckets[i] in wanted]
        for i in chosen:
            self.buckets[i] = Bucket.UNPROCESSED
        return chosen

    def _gate(self) -> str | None:
        if self._paused:
            return "by the user; press p (Resume) to continue"
        if self.card.state is not CardState.LOGGED_IN:
            return "the smartcard was removed"
        return None

    async def run_upload(self, request: UploadRequest) -> Snapshot:
        self.calls.append(f"run_upload:{request.mode.value}")
        if self.card.state is not CardState.LOGGED_IN:
            raise UploadRefused("Log in with your smartcard first.")
        if self.refuse_at_start:  # e.g. another process took the upload lock meanwhile
            raise UploadRefused(self.refuse_at_start)
        self.request, self.running, self._stop, self._paused = request, True, False, False
        self.checked = self.queued = 0
        self._started, self._tally = 0.0, TallyCounter()
        chosen = self._select(request)
        self.total = len(chosen)
        try:
            if request.schedule.start is not None:
                self.status, self.reason = (
                    RunStatus.SCHEDULED,
                    (f"starts {request.schedule.start:%d/%m/%Y %H:%M}"),
                )
                while not self._stop and not self._wake.is_set():
                    await asyncio.sleep(0.01)
            self._started = time.monotonic()
            position = 0
            while position < len(chosen) and not self._stop:
                reason = self._gate()
                if reason or self.hold:
                    self.status, self.reason = (
                        (RunStatus.PAUSED, reason) if reason else (RunStatus.RUNNING, "")
                    )
                    await asyncio.sleep(0.01)
                    continue
                self.status, self.reason = RunStatus.RUNNING, ""
                part = chosen[position : position + self.batch]
                for i in part:
                    self.buckets[i] = Bucket.SENDING
                await asyncio.sleep(self.step_delay)
                for i in part:
                    self.buckets[i] = outcome(i)
                    self._tally.add(self.buckets[i], None, None)
                    self.queued += self.buckets[i] is not Bucket.NOT_REQUIRED
                position += len(part)
                self.checked = position
                if self.fail_after is not None and self.checked >= self.fail_after:
                    raise RuntimeError("the MHS adaptor answered 415 Unsupported Media Type")
            completed = position >= len(chosen) and not self._stop
            self.interrupted = not completed
            self.status = RunStatus.STOPPED
            self.reason = (StopReason.COMPLETED if completed else StopReason.USER).value
            self.last_run = LastRun(
                user_name="Dr Ann Smith",
                role="System Administrator",
                mode=request.mode,
                started_at=datetime(2026, 5, 1, 9, 30),
                ended_at=datetime(2026, 5, 1, 9, 35),
                outcome=self.reason,
            )
            return self.snapshot()
        except BaseException:
            self.interrupted = True
            self.status, self.reason = RunStatus.STOPPED, StopReason.FATAL.value
            raise
        finally:
            self.running = False

    def start_scheduled_now(self) -> None:
        """Test helper: the deferred start time has come."""
        self._wake.set()

    async def read_snapshot(self, upload: UploadId = UploadId.INITIAL) -> Snapshot:
        return self.snapshot()

    def snapshot(self) -> Snapshot:
        if self.fixed is not None and (self.request is not None or self.other is not None):
            return self.fixed
        elapsed = time.monotonic() - self._started if self._started else 0.0
        rate = self.checked / elapsed if elapsed > 0 and self.checked else 0.0
        return Snapshot(
            status=self.status,
            reason=self.reason,
            mode=self.request.mode if self.request else None,
            group=self.request.group if self.request else None,
            counts=self.counts(),
            run=self._tally.tally(),
            started=bool(self._started),
            checked=self.checked,
            total=self.total,
            queued=self.queued,
            avg_seconds_per_patient=(elapsed / self.checked) if self.checked else None,
            rate_per_second=rate,
            eta=eta(self.total - self.checked, rate) if self.status is RunStatus.RUNNING else None,
            schedule_text=self.request.schedule.describe() if self.request else "",
        )

    def pause(self) -> None:
        self.calls.append("pause")
        self._paused = True

    def resume(self) -> None:
        self.calls.append("resume")
        self._paused = False

    def stop(self, reason: StopReason = StopReason.USER) -> None:
        self.calls.append("stop")
        if self.running:
            self._stop = True
            self.status, self.reason = RunStatus.STOPPING, reason.value

    # ----- an upload in another process ---------------------------------------------------------

    def watch_elsewhere(self) -> None:
        return None

    def elsewhere(self) -> Elsewhere | None:
        return self.other

    async def follow_elsewhere(self) -> Snapshot:
        while self.other is not None and not self.other.gone:
            await asyncio.sleep(0.02)
        return self.snapshot()

    def take_control(self) -> None:
        self.calls.append("take_control")
        if self.other is not None:
            self.other = replace(self.other, you_control=True, control="")

    def forget_gone(self) -> None:
        self.calls.append("forget_gone")

    # ----- the card ----------------------------------------------------------------------------

    def card_view(self) -> CardView:
        return self.card.view()

    async def login(self, passcode: str) -> LoginResult:
        self.calls.append("login")
        await asyncio.sleep(0)
        card = self.card
        if card.state is not CardState.INSERTED:
            return LoginResult(ok=False, message="Insert your smartcard first.")
        if passcode != PASSCODE:
            card.tries_left -= 1
            return LoginResult(ok=False, message=f"Wrong passcode: {card.tries_left} tries left")
        card.tries_left = 3
        if len(card.roles) > 1:
            card.role_id = None
            card.awaiting_role = True
            return LoginResult(ok=True, message="", roles=card.roles)
        card.role_id = card.roles[0].role_profile_id
        card.state = CardState.LOGGED_IN
        return LoginResult(ok=True, message="", roles=card.roles)

    def choose_role(self, role_profile_id: str) -> None:
        self.calls.append(f"choose_role:{role_profile_id}")
        self.card.role_id = role_profile_id
        self.card.awaiting_role = False
        self.card.state = CardState.LOGGED_IN

    def unblock_simulated_card(self) -> None:
        self.calls.append("unblock_card")

    def toggle_simulated_card(self) -> None:
        self.calls.append("toggle_card")
        card = self.card
        if card.state in (CardState.INSERTED, CardState.LOGGED_IN):
            was_in = card.state is CardState.LOGGED_IN
            card.state = CardState.LOCKED if was_in else CardState.NO_CARD
        else:
            card.state = CardState.INSERTED
            card.tries_left = 3
            card.awaiting_role = False


def fixed_snapshot(**changes: object) -> Snapshot:
    """A mid-run snapshot with round numbers, for screenshots."""
    base = Snapshot(
        status=RunStatus.RUNNING,
        mode=Mode.RUN,
        counts={
            Bucket.UNPROCESSED: 162,
            Bucket.SENDING: 3,
            Bucket.SENT: 112,
            Bucket.FAILED: 5,
            Bucket.NOT_REQUIRED: 18,
        },
        run=RunTally(sent=112, failed=5, not_required=18),
        mhs_url="http://127.0.0.1:8080/",
        started=True,
        checked=135,
        total=300,
        queued=117,
        avg_seconds_per_patient=0.42,
        rate_per_second=2.4,
        eta=timedelta(minutes=1, seconds=9),
        schedule_text="Start immediately; pause 18:00, resume 08:00 daily",
        next_event_text="pause at 18:00",
    )
    return replace(base, **changes)  # type: ignore[arg-type]
