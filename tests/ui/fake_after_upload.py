"""In-memory services for screenshots of the after-upload screens: FakeServices plus a fixed
report (names, NHS numbers, reasons and times that never change), patient groups, settings
checked by the real validation, and a fixed run log."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from scrtui.domain.completion_report import (
    CompletionReport,
    FailedPatient,
    Pause,
    RateSample,
    ReasonLine,
)
from scrtui.domain.preview import PreviewResult, PreviewRow, Verdict
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.uploads import UploadId
from scrtui.paths import Home
from scrtui.services import (
    ConsentChange,
    GroupInfo,
    PatientRow,
    ReasonCount,
    ReasonFilter,
    ServiceError,
    Services,
)
from scrtui.settings import Settings, SettingsError, with_changes

from .fake_services import FakeServices, outcome

SURNAMES = ("Smith", "Jones", "Kaur", "Okafor", "Williams", "Brown", "Taylor", "Nowak", "Evans")
FORENAMES = ("Ann", "Bethan", "Callum", "Deborah", "Euan", "Fatima", "George", "Harry", "Isla")
FAILED_REASON = ("30418", "[PSIS-30418] - ACF does not permit access to resource")
NOT_REQUIRED_REASONS = (
    ("NR04", "Active FP69 flag"),
    ("NR06", "Patient has dissented from an SCR (9Ndo)"),
    ("NR01", "Not permanently registered"),
)
EXPORT_PATH = (
    "/home/admin/.local/share/scrtui/exports/scr-report-initial-failed-20260501-093000.csv"
)
LOG_LINES = [
    "01/05/2026 09:00:00 [Dr Ann Smith, R8000] Initial Upload - Run by Dr Ann Smith; group all "
    "patients; Start immediately; 300 patients to check",
    "01/05/2026 09:00:00 [Dr Ann Smith, R8000] Status Running",
    "01/05/2026 09:04:12 [Dr Ann Smith, R8000] Status Stopped: completed",
    "01/05/2026 09:04:12 [Dr Ann Smith, R8000] Run finished (completed): sent 258, failed 14, "
    "not required 28, sending 0, unprocessed 0",
    '01/05/2026 09:20:41 [Dr Ann Smith, R8000] Group "FIXED0501" saved (new), 14 members',
]
BAD_FILE_PROBLEMS = (
    "Nothing was saved: 2 NHS number(s) cannot be used.\n"
    '  line 3: "123 456 7890" is not a valid NHS number (10 digits with a correct Modulus 11 '
    "check digit)\n"
    "  line 7: 943 476 5919 is not a patient of this practice"
)


def check_digit_number(index: int) -> str:
    """A 3-3-4 number that looks real (the fake never validates it)."""
    digits = f"99900{index:05d}"
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def fixed_row(index: int, bucket: Bucket) -> PatientRow:
    code = text = last = None
    attempts = 0
    if bucket is Bucket.FAILED:
        code, text = FAILED_REASON
        attempts = 1 + index % 3
        last = f"2026-05-01T09:{index % 60:02d}:{(index * 7) % 60:02d}"
    elif bucket is Bucket.NOT_REQUIRED:
        code, text = NOT_REQUIRED_REASONS[index % len(NOT_REQUIRED_REASONS)]
    elif bucket is Bucket.SENT:
        attempts = 1
        last = f"2026-05-01T09:{index % 60:02d}:{(index * 7) % 60:02d}"
    surname = SURNAMES[(index * 5) % len(SURNAMES)]
    forename = FORENAMES[index % len(FORENAMES)]
    return PatientRow(
        patient_id=index + 1,
        nhs_number=check_digit_number(index),
        name=f"{surname}, {forename}",
        bucket=bucket,
        reason_code=code,
        reason_text=text,
        attempts=attempts,
        last_attempt=last,
    )


# Consent Migration's audit as the snapshots show it: one of each recoding rule.
CONSENT_CHANGES = (
    ConsentChange("999 000 0012", "Oakes, Ruth", "93C3", "9Ndo", "Demo Administrator",
                  "555000000011", "2026-05-01T09:12:03"),
    ConsentChange("999 000 0039", "Patel, Arjun", "93C2", "9Ndn", "Demo Administrator",
                  "555000000011", "2026-05-01T09:12:03"),
    ConsentChange("999 000 0047", "Wright, Emma", None, "9Ndl", "Demo Administrator",
                  "555000000011", "2026-05-01T09:12:03"),
)  # fmt: skip


@dataclass
class FakeAfterUpload(FakeServices):
    """The practice after a completed run: every patient in its final bucket."""

    log_lines: list[str] = field(default_factory=lambda: list(LOG_LINES))
    user_groups: dict[str, tuple[str, list[int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.buckets = [outcome(i) for i in range(self.patients)]
        self.user_groups.setdefault("FIXED0501", ("Corrected after the May run", [8, 24, 47]))
        self.saved: list[tuple[str, str, list[int], str]] = []
        self.exports: list[tuple[Bucket | None, str, str, str]] = []

    # ----- SCR Reporter ------------------------------------------------------------------------

    async def reason_counts(self, upload: UploadId = UploadId.INITIAL) -> list[ReasonCount]:
        counts: dict[tuple[Bucket, str | None, str | None], int] = {}
        for row in self.rows(upload):
            if row.bucket in (Bucket.FAILED, Bucket.NOT_REQUIRED):
                key = (row.bucket, row.reason_code, row.reason_text)
                counts[key] = counts.get(key, 0) + 1
        ordered = sorted(counts.items(), key=lambda kv: (kv[0][0] is Bucket.NOT_REQUIRED, -kv[1]))
        return [ReasonCount(*key, n) for key, n in ordered]

    def rows(self, upload: UploadId = UploadId.INITIAL) -> list[PatientRow]:
        """The other uploads never ran here: every patient is Unprocessed in them."""
        if upload != "initial":
            return [fixed_row(i, Bucket.UNPROCESSED) for i in range(len(self.buckets))]
        return [fixed_row(i, bucket) for i, bucket in enumerate(self.buckets)]

    def _view(
        self, bucket: Bucket | None, search: str, order: str, upload: UploadId = UploadId.INITIAL
    ) -> list[PatientRow]:
        rows = [r for r in self.rows(upload) if bucket is None or r.bucket is bucket]
        for word in search.lower().split():
            rows = [
                r
                for r in rows
                if word.replace(" ", "") in r.nhs_number.replace(" ", "") or word in r.name.lower()
            ]
        if order == "reason":
            rows.sort(key=lambda r: (r.reason_code is None, r.reason_code or "", r.nhs_number))
        elif order == "name":
            rows.sort(key=lambda r: (r.name.lower(), r.patient_id))
        return rows

    async def report_count(
        self, bucket: Bucket | None, search: str = "", upload: UploadId = UploadId.INITIAL
    ) -> int:
        return len(self._view(bucket, search, "nhs", upload))

    async def report_page(
        self,
        bucket: Bucket | None,
        search: str,
        order: str,
        offset: int,
        limit: int,
        upload: UploadId = UploadId.INITIAL,
    ) -> list[PatientRow]:
        return self._view(bucket, search, order, upload)[offset : offset + limit]

    async def export_report(
        self, bucket: Bucket | None, search: str, order: str, upload: UploadId = UploadId.INITIAL
    ) -> str:
        self.exports.append((bucket, search, order, upload))
        return EXPORT_PATH.replace("-initial-", f"-{upload}-")

    def _reason_view(
        self, reason: ReasonFilter, search: str, order: str, upload: UploadId
    ) -> list[PatientRow]:
        rows = self._view(reason.bucket, search, order, upload)
        return [r for r in rows if r.reason_code == reason.code]

    async def reason_view_count(
        self, reason: ReasonFilter, search: str = "", upload: UploadId = UploadId.INITIAL
    ) -> int:
        return len(self._reason_view(reason, search, "nhs", upload))

    async def reason_view_page(
        self,
        reason: ReasonFilter,
        search: str,
        order: str,
        offset: int,
        limit: int,
        upload: UploadId = UploadId.INITIAL,
    ) -> list[PatientRow]:
        return self._reason_view(reason, search, order, upload)[offset : offset + limit]

    async def export_reason_view(
        self, reason: ReasonFilter, search: str, order: str, upload: UploadId = UploadId.INITIAL
    ) -> str:
        self.exports.append((reason.bucket, search, order, upload))
        return EXPORT_PATH.replace("-initial-", f"-{upload}-")

    async def consent_changes(self) -> list[ConsentChange]:
        return list(CONSENT_CHANGES)

    # ----- the preview and the completion report -----------------------------------------------

    async def preview(
        self, mode: Mode, group: str | None = None, upload: UploadId = UploadId.INITIAL
    ) -> PreviewResult:
        rows = []
        for row in self.rows(upload):
            digits = row.nhs_number.replace(" ", "")
            if row.bucket is Bucket.NOT_REQUIRED:
                rows.append(
                    PreviewRow(
                        row.patient_id,
                        digits,
                        row.name,
                        Verdict.NOT_SEND,
                        row.reason_code,
                        row.reason_text,
                    )  # fmt: skip
                )
            elif row.patient_id % 37 == 5:
                rows.append(PreviewRow(row.patient_id, digits, row.name, Verdict.NOT_SEND,
                                       "NR11", "Not found on PDS"))  # fmt: skip
            else:
                rows.append(PreviewRow(row.patient_id, digits, row.name, Verdict.SEND))
        at = datetime(2026, 5, 1, 8, 30)
        return PreviewResult(upload, mode, group, at, at, True, tuple(rows), 0.4)

    async def export_preview(
        self, result: PreviewResult, verdict: Verdict | None, search: str
    ) -> str:
        return EXPORT_PATH.replace("scr-report-", "scr-preview-")

    async def completion_report(self, upload: UploadId = UploadId.INITIAL) -> CompletionReport:
        return fixed_completion_report(self.counts())

    async def export_completion_report(self, upload: UploadId = UploadId.INITIAL) -> list[str]:
        stem = EXPORT_PATH.replace("scr-report-initial-failed", "scr-completion-initial-run7")
        return [stem.replace(".csv", suffix) for suffix in (".html", ".csv", ".json")]

    # ----- patient groups ----------------------------------------------------------------------

    def group_infos(self) -> list[GroupInfo]:
        system = [g for g in super().group_infos() if g.system]
        users = [
            GroupInfo(name, description, len(members), False)
            for name, (description, members) in sorted(self.user_groups.items())
        ]
        return system + users

    async def group_exists(self, name: str) -> bool:
        return self._exists(name)

    def _exists(self, name: str) -> bool:
        return any(g.name.lower() == name.strip().lower() for g in self.group_infos())

    async def save_group(
        self, name: str, description: str, patient_ids: list[int], *, how: str = "new"
    ) -> GroupInfo:
        return self._save(name, description, patient_ids, how)

    def _save(self, name: str, description: str, patient_ids: list[int], how: str) -> GroupInfo:
        if name.startswith("$"):
            raise ServiceError(f'"{name}" is a system group: it cannot be overwritten.')
        if how == "new" and self._exists(name):
            raise ServiceError("The group name you have chosen is already in use.")
        members = set(patient_ids)
        if how == "add" and name in self.user_groups:
            old_description, old = self.user_groups[name]
            members |= set(old)
            description = description or old_description
        self.user_groups[name] = (description, sorted(members))
        self.saved.append((name, description, sorted(patient_ids), how))
        return GroupInfo(name, description, len(members), False)

    async def import_group_file(
        self, name: str, description: str, path: str, *, how: str = "new"
    ) -> GroupInfo:
        if path.endswith("bad.txt"):
            raise ServiceError(BAD_FILE_PROBLEMS)
        return self._save(name, description, [1, 2, 3, 4], how)

    async def group_members(self, name: str) -> list[PatientRow]:
        if name in self.user_groups:
            ids = self.user_groups[name][1]
        else:
            ids = [i + 1 for i in range(min(40, self.patients))]
        rows = self.rows()
        return [rows[i - 1] for i in ids]

    async def delete_group(self, name: str) -> None:
        if name.startswith("$"):
            raise ServiceError(f'"{name}" is a system group: it cannot be deleted.')
        self.user_groups.pop(name, None)

    # ----- settings and the log ----------------------------------------------------------------

    def settings_refusal(self) -> str | None:
        view = self.card.view()
        if view.user_name is None:
            return "Changing settings needs your smartcard session: log in first (F3 in the app)."
        if not view.has_b0062:
            return (
                f"Changing the SCR settings needs RBAC activity B0062, which {view.role_name} "
                "does not have."
            )
        return None

    async def update_settings(self, **changes: object) -> Settings:
        refusal = self.settings_refusal()
        if refusal:
            raise ServiceError(refusal)
        try:
            self.settings = with_changes(self.settings, **changes)
        except SettingsError as exc:
            raise ServiceError(exc.user_message(), field=exc.attr) from None
        return self.settings

    def upload_log_path(self, upload: UploadId | None = UploadId.INITIAL) -> str:
        return str(Home(Path("/home/admin/.local/share/scrtui")).run_log(upload))

    async def upload_log_tail(
        self, max_lines: int = 500, upload: UploadId | None = UploadId.INITIAL
    ) -> list[str]:
        """The Initial Upload's lines (the others never ran here)."""
        return self.log_lines[-max_lines:] if upload == UploadId.INITIAL else []


def fixed_completion_report(counts: dict[Bucket, int]) -> CompletionReport:
    began = datetime(2026, 5, 1, 9, 0)
    samples = tuple(
        RateSample(began + timedelta(seconds=10 * i), 30 * i, 26 * i + (i % 3)) for i in range(9)
    )
    return CompletionReport(
        run_id=7, upload=UploadId.INITIAL, upload_label="Initial Upload", mode="run", group=None,
        user_name="Dr Ann Smith", sds_user_id="555000000001", role_profile_id="555000000011",
        job_role="R8000", ods_code="A12345", practice_name="Demo Practice",
        created_at=began, scheduled_for=None, window="", started_at=began,
        ended_at=began + timedelta(minutes=4, seconds=12), outcome="completed",
        outcome_detail="sent 258, failed 14, not required 28, sending 0, unprocessed 0",
        generated_at=began + timedelta(minutes=20),
        upload_counts=counts, run_counts=counts,
        reasons=(
            ReasonLine(Bucket.FAILED, *FAILED_REASON, 14),
            *(ReasonLine(Bucket.NOT_REQUIRED, c, t, 9) for c, t in NOT_REQUIRED_REASONS),
        ),
        failed=tuple(FailedPatient(f"99900{i:05d}", *FAILED_REASON) for i in range(3)),
        pauses=(
            Pause(began + timedelta(minutes=1), began + timedelta(minutes=2), "card",
                  "smartcard removed: reinsert the card and enter the passcode to continue"),
        ),
        samples=samples,
    )  # fmt: skip


def _stands_for_services(fake: FakeAfterUpload) -> Services:
    """Never called: mypy (tests/test_types.py) checks here that the fake is a Services."""
    return fake
