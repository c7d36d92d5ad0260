"""The socket's messages carry every field of the views both ways."""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from scrtui.domain.progress import RunStatus, Snapshot
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.run_tally import RunTally
from scrtui.domain.schedule import Schedule
from scrtui.domain.uploads import UploadId
from scrtui.remote import wire
from scrtui.services import CardState, CardView, LoginResult, RoleChoice, UploadRequest

moments = st.none() | st.datetimes(datetime(2000, 1, 1), datetime(2100, 1, 1))
spans = st.none() | st.integers(0, 10**7).map(lambda s: timedelta(seconds=s))
texts = st.text(max_size=40)

SNAPSHOT_FIELDS: dict[str, st.SearchStrategy[object]] = {
    "status": st.sampled_from(RunStatus),
    "reason": texts,
    "upload": st.sampled_from(UploadId),
    "mode": st.none() | st.sampled_from(Mode),
    "group": st.none() | texts,
    "counts": st.dictionaries(st.sampled_from(Bucket), st.integers(0, 10**6)),
    "checked": st.integers(0, 10**6),
    "total": st.integers(0, 10**6),
    "queued": st.integers(0, 10**6),
    "avg_seconds_per_patient": st.none() | st.floats(0, 100, allow_nan=False),
    "rate_per_second": st.floats(0, 10**5, allow_nan=False),
    "eta": spans,
    "schedule_text": texts,
    "next_event": moments,
    "next_event_text": texts,
    "session_left": spans,
    "fatal_message": texts,
    "outage_since": moments,
    "next_check": moments,
    "awaiting_ack": st.integers(0, 10**6),
    "scope_counts": st.dictionaries(st.sampled_from(Bucket), st.integers(0, 10**6)),
    "run": st.builds(
        RunTally,
        sent=st.integers(0, 10**6),
        failed=st.integers(0, 10**6),
        not_required=st.integers(0, 10**6),
        reasons=st.lists(st.tuples(texts, st.integers(0, 10**6)), max_size=4).map(tuple),
    ),
    "started": st.booleans(),
    "asynchronous": st.booleans(),
    "mhs_url": texts,
}
snapshots = st.builds(Snapshot, **SNAPSHOT_FIELDS)


@settings(deadline=None)
@given(snapshots)
def test_a_snapshot_comes_back_as_it_went(snapshot: Snapshot) -> None:
    assert wire.snapshot_in(wire.decode(wire.encode(wire.snapshot_out(snapshot)))) == snapshot


def test_the_socket_and_the_strategy_carry_every_field_of_the_snapshot() -> None:
    """A field added to Snapshot (as issue 19 added the outage's) reaches a window on a
    background upload only if the wire carries it: one key a field, and drawn above."""
    names = {f.name for f in fields(Snapshot)}
    renamed = {"avg_seconds_per_patient": "avg", "rate_per_second": "rate"}
    assert set(wire.snapshot_out(Snapshot())) == {renamed.get(n, n) for n in names}
    assert set(SNAPSHOT_FIELDS) == names


@settings(deadline=None)
@given(
    st.builds(
        CardView,
        state=st.sampled_from(CardState),
        message=texts,
        simulated=st.booleans(),
        user_name=st.none() | texts,
        role_name=st.none() | texts,
        has_b0062=st.booleans(),
        time_left=spans,
        needs_role_choice=st.booleans(),
    )
)
def test_a_card_view_comes_back_as_it_went(view: CardView) -> None:
    assert wire.card_in(wire.decode(wire.encode(wire.card_out(view)))) == view


def test_a_login_result_and_a_request_come_back_as_they_went() -> None:
    result = LoginResult(True, "", (RoleChoice("R1", "one"), RoleChoice("R2", "two")))
    assert wire.login_in(wire.decode(wire.encode(wire.login_out(result)))) == result
    request = UploadRequest(
        mode=Mode.RESUME,
        schedule=Schedule(datetime(2026, 12, 24, 18, 30), time(7, 0), time(19, 0)),
        group="LEAVERS",
        upload="bulk-deregistration",
        upload_date=date(2026, 12, 1),
    )
    assert wire.request_in(wire.decode(wire.encode(wire.request_out(request)))) == request
