"""What the engine does differently per upload, decided by the upload's description alone:
which client carries its messages, how one is built, and the local change made at its start."""

from __future__ import annotations

from datetime import date, datetime

from scrtui.domain import uploads
from scrtui.domain.consent import DISSENT_PERMISSION
from scrtui.domain.eligibility import Decision
from scrtui.domain.records import Author, Mode, PatientRecord
from scrtui.domain.uploads import Context, UploadKind
from scrtui.settings import Settings
from scrtui.spine.client import mhs_transport
from scrtui.spine.consent_client import consent_transport, consent_url
from scrtui.spine.consent_message import build_set_permissions
from scrtui.spine.message import build_gp_summary
from scrtui.spine.transport import Transport
from scrtui.store import consent_changes


def open_client(kind: UploadKind, settings: Settings, correlation_id: str) -> Transport:
    """The transport for the upload's messages, not yet open (`async with` opens it)."""
    if kind.transport is uploads.Transport.CONSENT:
        return consent_transport(settings, correlation_id)
    return mhs_transport(settings, correlation_id)


def decide(
    kind: UploadKind,
    record: PatientRecord,
    today: date,
    settings: Settings,
    previous_summary: str | None,
) -> Decision:
    """The upload's eligibility decision for one patient: the one call the run (engine.py)
    and the preview (preview.py) both make, so they cannot disagree."""
    return kind.decide(
        record, Context(today, settings.update_existing_after_days, previous_summary)
    )


def build_message(
    kind: UploadKind,
    record: PatientRecord,
    author: Author,
    settings: Settings,
    *,
    message_id: str,
    now: datetime,
    replaces: str | None,
    upload_date: date | None,
) -> str:
    if kind.transport is uploads.Transport.CONSENT:
        return build_set_permissions(
            record.nhs_number,
            DISSENT_PERMISSION,
            author,
            message_id=message_id,
            sending_asid=settings.sending_asid,
            spine_asid=settings.spine_asid,
            endpoint=consent_url(settings),
            now=now,
        )
    return build_gp_summary(
        record,
        author,
        message_id=message_id,
        sending_asid=settings.sending_asid,
        spine_asid=settings.spine_asid,
        now=now,
        today=now.date(),
        replaces=replaces,
        closing_text=kind.closing_text(upload_date or now.date()) if kind.closing_text else None,
    )


def local_changes(
    kind: UploadKind, mode: Mode, run_id: int, author: Author, now: datetime
) -> int | None:
    """The upload's local change when a Run or Rerun starts (all or nothing); the number of
    patients changed, or None when the upload makes none."""
    if kind.recodes_consent and mode in (Mode.RUN, Mode.RERUN):
        return consent_changes.recode_practice(run_id, author, now)
    return None
