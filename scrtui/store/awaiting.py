"""Asynchronous mode: the messages taken by the MHS adaptor (202) whose acknowledgement comes
from its inbound queue (table awaiting_ack). A row stays after the answer: a message redelivered
by the broker is then still known as ours and settled, not left for another system."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from scrtui.store.models import database


def record(rows: Sequence[tuple[str, int, datetime]]) -> None:
    """(message id, patient id, when the 202 came): the acknowledgement is now awaited."""
    if not rows:
        return
    db = database.obj
    with db.atomic():
        db.cursor().executemany(
            "INSERT OR REPLACE INTO awaiting_ack (message_id, patient_id, sent_at) "
            "VALUES (?, ?, ?)",
            [(mid, pid, at.isoformat(sep=" ")) for mid, pid, at in rows],
        )


def sent_at(message_id: str) -> datetime | None:
    """When the adaptor took this message (before a crash, say), or None if it never did."""
    row = database.obj.execute_sql(
        "SELECT sent_at FROM awaiting_ack WHERE message_id = ?", (message_id,)
    ).fetchone()
    return datetime.fromisoformat(row[0]) if row else None


def pending_patient(message_id: str) -> int | None:
    """The patient still Sending under this id (its answer is yet to be applied), or None."""
    row = database.obj.execute_sql(
        "SELECT a.patient_id FROM awaiting_ack a JOIN patient_upload u "
        "ON u.patient_id = a.patient_id AND u.message_id = a.message_id "
        "WHERE a.message_id = ? AND u.bucket IN ('sending', 'unprocessed')",
        (message_id,),
    ).fetchone()
    return int(row[0]) if row else None


def is_ours(message_id: str) -> bool:
    return (
        database.obj.execute_sql(
            "SELECT 1 FROM awaiting_ack WHERE message_id = ?", (message_id,)
        ).fetchone()
        is not None
    )
