"""The gate's rules and RBAC without a card, a reader or a session object."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from scrtui.domain import session_text
from scrtui.domain.gate import GateFacts, GateState, decide
from scrtui.domain.rbac import UPLOAD_ACTIVITY, activity_label, holds, role_label
from scrtui.domain.records import RoleProfile

NOW = datetime(2026, 11, 30, 9, 0)
ADMIN = RoleProfile("555000000011", "R0001", "System Administrator", frozenset({"B0062"}))
CLINICIAN = RoleProfile("555000000021", "R8000", "Clinical Practitioner", frozenset({"B0370"}))
OPEN = GateFacts(
    logged_in=True,
    ended=False,
    expires=NOW + timedelta(hours=10),
    locked=False,
    card_usable=True,
    same_insertion=True,
    refuses_real_spine=False,
    role=ADMIN,
)


@pytest.mark.parametrize(
    ("change", "state"),
    [
        ({}, GateState.OPEN),
        ({"logged_in": False}, GateState.NO_SESSION),
        ({"ended": True}, GateState.ENDED),
        ({"expires": NOW}, GateState.EXPIRED),
        ({"locked": True}, GateState.LOCKED),
        ({"card_usable": False}, GateState.LOCKED),
        ({"same_insertion": False}, GateState.LOCKED),
        ({"refuses_real_spine": True}, GateState.REFUSED_REAL_SPINE),
        ({"role": None}, GateState.NO_ROLE),
        ({"role": CLINICIAN}, GateState.NOT_AUTHORISED),
    ],
)
def test_each_fact_closes_the_gate_with_its_own_state(change: dict, state: GateState) -> None:
    assert decide(replace(OPEN, **change), NOW) is state


def test_a_stop_outranks_a_pause() -> None:
    # A card that left the reader and a session that also ran out: the run must stop, not wait.
    facts = replace(OPEN, locked=True, card_usable=False, expires=NOW - timedelta(minutes=1))
    assert decide(facts, NOW) is GateState.EXPIRED
    assert decide(replace(facts, ended=True), NOW) is GateState.ENDED


def test_an_including_activity_counts_and_labels_name_the_activity() -> None:
    including = replace(ADMIN, activities=frozenset({"B0825"}))
    assert holds(including, "B0820") and not holds(including, UPLOAD_ACTIVITY)
    assert not holds(None, UPLOAD_ACTIVITY)
    assert activity_label("B0062") == "B0062 (bulk uploads)"
    assert role_label(ADMIN) == "R0001 System Administrator"


def test_the_refusal_names_the_activity_and_the_role() -> None:
    reason = session_text.gate_reason(
        GateState.NOT_AUTHORISED,
        user_name="Dr Demo",
        expires=NOW,
        role=CLINICIAN,
        locked="",
        mhs_url="",
    )
    assert "B0062 (bulk uploads)" in reason and "R8000 Clinical Practitioner" in reason
