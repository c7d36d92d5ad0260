"""One patient's message on its way through a run: what the pipeline and the acknowledgement
watch (async_watch.py) both hold, in its own module so neither imports the other (as arq keeps its
jobs apart from its worker)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from scrtui.domain.records import PatientRecord
from scrtui.store.upload_state import WorkItem


@dataclass(slots=True)
class Job:
    item: WorkItem
    record: PatientRecord  # the message is built from it when it goes
    message_id: str
    decided_on: date  # the day eligibility was decided
    attempts: int = 0
    rounds: int = 0  # times its attempts ran out while the MHS answered others
    answers_mark: int | None = None  # the client's answer count when last looked at
    pds_checked: bool = False  # PDS answered and the patient matched (asked once a run)
