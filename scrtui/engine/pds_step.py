"""The engine's PDS synchronisation step: ask PDS about a patient, and what its answer means.

Called by the PDS workers ahead of the senders (scrtui/engine/pds_ahead.py) through the
engine's `_pds_passed`, and by a sender for a patient whose PDS check met a fault. The
answer is only used here: no demographics are stored beyond the Not Required reason's text
(both values of each mismatching field, for the reporter) nor logged.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from scrtui.domain.eligibility import Reason
from scrtui.domain.pds_match import demographics_of, verdict
from scrtui.domain.records import PatientRecord
from scrtui.settings import Settings
from scrtui.spine.outcome import SendResult
from scrtui.spine.pds import PdsReply
from scrtui.spine.pds_client import query_pds
from scrtui.spine.transport import Transport

OFF_WARNING = (
    "PDS synchronisation is switched off ([pds] synchronise = false): summaries are sent "
    "without checking each patient against the Spine's demographics"
)


async def ask(
    client: Transport,
    record: PatientRecord,
    settings: Settings,
    now: datetime,
    give_up: asyncio.Event,
    attempts: int | None = None,
) -> SendResult:
    """The PDS Retrieval Query for this patient; SENT results carry the PdsReply."""
    return await query_pds(
        client,
        record.nhs_number,
        sending_asid=settings.sending_asid,
        spine_asid=settings.spine_asid,
        now=now,
        give_up=give_up,
        attempts=attempts,
    )


def reason(record: PatientRecord, reply: PdsReply, practice_ods: str) -> Reason | None:
    """None when the patient is synchronised; else why it is Not Required."""
    ours = demographics_of(
        record.nhs_number,
        record.forename,
        record.surname,
        record.date_of_birth,
        record.gender,
        record.postcode,
    )
    return verdict(ours, reply.record, practice_ods)
