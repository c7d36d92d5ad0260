"""The go-live preview's words and result: what a mode of an upload would do now, for whom.

Nothing here decides eligibility: the preview (scrtui/engine/preview.py) asks the same rules
the engine asks (scrtui/engine/kinds.py `decide`, the PDS step, the mode's selection), and this
module only names the outcome ("Would send", "Would not send" with the reason) and counts it.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from scrtui.domain.records import Bucket, Mode
from scrtui.domain.uploads import UploadId

PREVIEW_LABEL = "Preview"
PREVIEW_NOTE = "Preview only: nothing is sent and nothing is changed."


class Verdict(enum.StrEnum):
    SEND = "would_send"
    NOT_SEND = "would_not_send"
    # PDS could not be asked (no answer, the card session closed): the Run would ask again.
    UNDECIDED = "undecided"

    @property
    def label(self) -> str:
        return _VERDICT_LABELS[self]


_VERDICT_LABELS = {
    Verdict.SEND: "Would send",
    Verdict.NOT_SEND: "Would not send",
    Verdict.UNDECIDED: "Undecided",
}

# Patients the chosen mode does not take, by their bucket now (the engine's selection,
# scrtui/store/upload_state.py _SELECTS): code "M-<bucket>" so they count apart from the
# eligibility reasons (NR01...).
_NOT_TAKEN_HINT = {
    Mode.RUN: "Run sends only to patients not yet sent or failed (Failed or Rerun sends them)",
    Mode.RESUME: "Resume continues only patients an interrupted run left Unprocessed or Sending",
    Mode.FAILED: "Failed reprocesses only the Failed patients",
    Mode.RERUN: "Rerun takes every patient",
}


def not_taken_code(bucket: Bucket | None) -> str:
    return f"M-{(bucket or Bucket.UNPROCESSED).value.upper().replace('_', '-')}"


def not_taken_text(mode: Mode, bucket: Bucket | None) -> str:
    now = "never taken by this upload" if bucket is None else f"now {bucket.label}"
    return f"Not taken by {mode.label}: {now}; {_NOT_TAKEN_HINT[mode]}"


PDS_UNANSWERED_CODE = "PDS-?"


def pds_unanswered_text(detail: str) -> str:
    return f"PDS did not answer ({detail}): the Run would ask again before sending"


def title(upload_label: str, mode: Mode) -> str:
    """Its own title, never mistaken for a run's: "Initial Upload - Preview of Run"."""
    return f"{upload_label} - {PREVIEW_LABEL} of {mode.label}"


@dataclass(frozen=True, slots=True)
class PreviewRow:
    patient_id: int
    nhs_number: str  # as stored (10 digits)
    name: str  # "Surname, Forename"
    verdict: Verdict
    reason_code: str | None = None
    reason_text: str | None = None


@dataclass(frozen=True, slots=True)
class ReasonTally:
    verdict: Verdict
    reason_code: str | None
    reason_text: str | None
    patients: int


@dataclass(frozen=True)
class PreviewResult:
    upload: UploadId
    mode: Mode
    group: str | None
    started_at: datetime
    finished_at: datetime
    pds_checked: bool  # the PDS check was made (Initial Upload with [pds] synchronise on)
    rows: tuple[PreviewRow, ...] = ()
    seconds: float = 0.0
    # Why the option itself cannot start now whatever the patients (GP Summary on or off), or
    # "": the preview still says what it would do once it can.
    blocked: str = ""
    counts: dict[Verdict, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        tally = Counter(row.verdict for row in self.rows)
        self.counts.update({verdict: tally.get(verdict, 0) for verdict in Verdict})

    def would_send_ids(self) -> set[int]:
        return {row.patient_id for row in self.rows if row.verdict is Verdict.SEND}

    def reasons(self) -> list[ReasonTally]:
        """Patients not sent, per reason code, most first (a PDS mismatch's text names the
        patient's own values, so the first text met stands for its code)."""
        counts: Counter[tuple[Verdict, str | None]] = Counter()
        texts: dict[tuple[Verdict, str | None], str | None] = {}
        for row in self.rows:
            if row.verdict is Verdict.SEND:
                continue
            key = (row.verdict, row.reason_code)
            counts[key] += 1
            texts.setdefault(key, row.reason_text)
        return [
            ReasonTally(verdict, code, texts[(verdict, code)], n)
            for (verdict, code), n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ]

    def as_document(self, with_rows: bool = True) -> dict[str, object]:
        """What `scrtui upload --mode preview --json` prints."""
        document: dict[str, object] = {
            "preview": True,
            "upload": self.upload,
            "mode": self.mode.value,
            "group": self.group,
            "pds_checked": self.pds_checked,
            "started_at": self.started_at.isoformat(timespec="seconds"),
            "seconds": round(self.seconds, 3),
            "blocked": self.blocked or None,
            "total": len(self.rows),
            **{verdict.value: self.counts[verdict] for verdict in Verdict},
            "reasons": [
                {
                    "verdict": r.verdict.value,
                    "reason_code": r.reason_code,
                    "reason_text": r.reason_text,
                    "patients": r.patients,
                }
                for r in self.reasons()
            ],
        }
        if with_rows:
            document["rows"] = [
                {
                    "nhs_number": row.nhs_number,
                    "name": row.name,
                    "verdict": row.verdict.value,
                    "reason_code": row.reason_code,
                    "reason_text": row.reason_text,
                }
                for row in self.rows
            ]
        return document


PREVIEW_COLUMNS = ("nhs_number", "name", "verdict", "reason_code", "reason_text")


def csv_rows(rows: list[PreviewRow]) -> list[list[str]]:
    """The export's rows after its header (PREVIEW_COLUMNS)."""
    return [
        [r.nhs_number, r.name, r.verdict.label, r.reason_code or "", r.reason_text or ""]
        for r in rows
    ]


def matches(row: PreviewRow, search: str) -> bool:
    """The reporter's search: NHS number (spaces ignored) or any part of the name."""
    wanted = search.strip().lower()
    if not wanted:
        return True
    digits = wanted.replace(" ", "")
    return (digits.isdigit() and digits in row.nhs_number) or wanted in row.name.lower()
