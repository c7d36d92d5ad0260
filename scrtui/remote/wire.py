"""The socket's messages: one JSON object a line, and the views they carry.

Plain data both ways (no pickling: a message from the socket is data, never code). The
passcode travels only in a "login" message, on the owner-only socket, and is never logged.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any

from scrtui.domain.progress import RunStatus, Snapshot
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.run_tally import RunTally
from scrtui.domain.schedule import Schedule
from scrtui.domain.uploads import UploadId
from scrtui.services import CardState, CardView, LoginResult, RoleChoice, UploadRequest

MAX_LINE = 1 << 20  # a state message is a few hundred bytes; anything this long is refused

Message = dict[str, Any]


def encode(message: Message) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> Message:
    value = json.loads(line)
    if not isinstance(value, dict):
        raise ValueError("a message is a JSON object")
    return value


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _at(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _seconds(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def _span(value: Any) -> timedelta | None:
    return timedelta(seconds=float(value)) if isinstance(value, int | float) else None


def snapshot_out(s: Snapshot) -> Message:
    return {
        "status": s.status.value,
        "reason": s.reason,
        "upload": s.upload,
        "mode": s.mode.value if s.mode else None,
        "group": s.group,
        "counts": {bucket.value: n for bucket, n in s.counts.items()},
        "checked": s.checked,
        "total": s.total,
        "queued": s.queued,
        "avg": s.avg_seconds_per_patient,
        "rate": s.rate_per_second,
        "eta": _seconds(s.eta),
        "schedule_text": s.schedule_text,
        "next_event": _when(s.next_event),
        "next_event_text": s.next_event_text,
        "session_left": _seconds(s.session_left),
        "fatal_message": s.fatal_message,
        "outage_since": _when(s.outage_since),
        "next_check": _when(s.next_check),
        "awaiting_ack": s.awaiting_ack,
        "scope_counts": {bucket.value: n for bucket, n in s.scope_counts.items()},
        "run": {
            "sent": s.run.sent,
            "failed": s.run.failed,
            "not_required": s.run.not_required,
            "reasons": [[reason, n] for reason, n in s.run.reasons],
        },
        "started": s.started,
        "asynchronous": s.asynchronous,
        "mhs_url": s.mhs_url,
    }


def _tally_in(m: Any) -> RunTally:
    m = dict(m) if isinstance(m, dict) else {}
    return RunTally(
        sent=int(m.get("sent", 0)),
        failed=int(m.get("failed", 0)),
        not_required=int(m.get("not_required", 0)),
        reasons=tuple((str(reason), int(n)) for reason, n in m.get("reasons", [])),
    )


def snapshot_in(m: Message) -> Snapshot:
    return Snapshot(
        status=RunStatus(m["status"]),
        reason=str(m.get("reason", "")),
        upload=UploadId(m.get("upload", UploadId.INITIAL)),
        mode=Mode(m["mode"]) if m.get("mode") else None,
        group=m.get("group"),
        counts={Bucket(k): int(n) for k, n in dict(m.get("counts", {})).items()},
        checked=int(m.get("checked", 0)),
        total=int(m.get("total", 0)),
        queued=int(m.get("queued", 0)),
        avg_seconds_per_patient=m.get("avg"),
        rate_per_second=float(m.get("rate", 0.0)),
        eta=_span(m.get("eta")),
        schedule_text=str(m.get("schedule_text", "")),
        next_event=_at(m.get("next_event")),
        next_event_text=str(m.get("next_event_text", "")),
        session_left=_span(m.get("session_left")),
        fatal_message=str(m.get("fatal_message", "")),
        outage_since=_at(m.get("outage_since")),
        next_check=_at(m.get("next_check")),
        awaiting_ack=int(m.get("awaiting_ack", 0)),
        scope_counts={Bucket(k): int(n) for k, n in dict(m.get("scope_counts", {})).items()},
        run=_tally_in(m.get("run")),
        started=bool(m.get("started", False)),
        asynchronous=bool(m.get("asynchronous", False)),
        mhs_url=str(m.get("mhs_url", "")),
    )


def card_out(v: CardView) -> Message:
    return {
        "state": v.state.name,
        "message": v.message,
        "simulated": v.simulated,
        "user_name": v.user_name,
        "role_name": v.role_name,
        "has_b0062": v.has_b0062,
        "time_left": _seconds(v.time_left),
        "needs_role_choice": v.needs_role_choice,
    }


def card_in(m: Message) -> CardView:
    return CardView(
        state=CardState[m["state"]],
        message=str(m.get("message", "")),
        simulated=bool(m.get("simulated", False)),
        user_name=m.get("user_name"),
        role_name=m.get("role_name"),
        has_b0062=bool(m.get("has_b0062", False)),
        time_left=_span(m.get("time_left")),
        needs_role_choice=bool(m.get("needs_role_choice", False)),
    )


def login_out(r: LoginResult) -> Message:
    return {
        "ok": r.ok,
        "message": r.message,
        "roles": [[c.role_profile_id, c.label] for c in r.roles],
    }


def login_in(m: Message) -> LoginResult:
    roles = tuple(RoleChoice(str(i), str(label)) for i, label in m.get("roles", []))
    return LoginResult(bool(m.get("ok")), str(m.get("message", "")), roles)


def _hhmm(value: time | None) -> str | None:
    return value.strftime("%H:%M") if value is not None else None


def request_out(r: UploadRequest) -> Message:
    return {
        "mode": r.mode.value,
        "upload": r.upload,
        "group": r.group,
        "start": _when(r.schedule.start),
        "stop": _hhmm(r.schedule.stop),
        "resume": _hhmm(r.schedule.resume),
        "upload_date": r.upload_date.isoformat() if r.upload_date else None,
    }


def request_in(m: Message) -> UploadRequest:
    def clock(value: Any) -> time | None:
        return time.fromisoformat(value) if isinstance(value, str) else None

    return UploadRequest(
        mode=Mode(m["mode"]),
        schedule=Schedule(_at(m.get("start")), clock(m.get("stop")), clock(m.get("resume"))),
        group=m.get("group"),
        upload=UploadId(m.get("upload", UploadId.INITIAL)),
        upload_date=date.fromisoformat(m["upload_date"]) if m.get("upload_date") else None,
    )
