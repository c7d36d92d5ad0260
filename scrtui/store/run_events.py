"""Each run's statuses and progress samples (table run_event), for the completion report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scrtui.store.models import RunEvent, database

STATUS = "status"
SAMPLE = "sample"


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime
    kind: str
    status: str
    reason: str
    checked: int
    messages: int


def record(
    run_id: int,
    at: datetime,
    kind: str,
    *,
    status: str = "",
    reason: str = "",
    checked: int = 0,
    messages: int = 0,
) -> None:
    database.obj.execute_sql(
        "INSERT INTO run_event (run_id, at, kind, status, reason, checked, messages) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [run_id, at.isoformat(sep=" "), kind, status, reason, checked, messages],
    )


def events(run_id: int) -> list[Event]:
    rows = (
        RunEvent.select()
        .where(RunEvent.run == run_id)
        .order_by(RunEvent.at, RunEvent.id)
        .tuples()
        .execute()
    )
    out = []
    for _id, _run, at, kind, status, reason, checked, messages in rows:
        when = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
        out.append(Event(when, kind, status, reason, checked, messages))
    return out
