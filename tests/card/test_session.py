"""The card session on the simulated card: login, roles, RBAC, lock, end, expiry and the gate.

The same behaviour against the real pcscd and a virtual card is in test_pcsc.py.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest

from scrtui.card import profile
from scrtui.card.backend import CardEventKind
from scrtui.card.profile import CardIdentity
from scrtui.card.session import CardSession, NotAuthorised
from scrtui.card.simulated import SimulatedBackend, SimulatedCard
from scrtui.domain.gate import GateState
from scrtui.services import CardState, CardView
from scrtui.store.queries import find_user
from tests.card.conftest import (
    ADMIN,
    ADMIN_ROLE,
    CLINICIAN,
    STRANGER,
    TWO_ROLES,
    TWO_ROLES_ADMIN,
    TWO_ROLES_CLINICAL,
)
from tests.card.vcard import VirtualCard, wait_until

LOOPBACK = "http://127.0.0.1:8080/"


@pytest.fixture
def sim():
    backend = SimulatedBackend()
    backend.start()
    yield backend
    backend.stop()


@pytest.fixture
def session(practice, sim, clock):
    return CardSession(sim, find_user, clock=clock, mhs_url=LOOPBACK)


def test_the_demo_card_logs_in_the_seeded_administrator(session):
    assert session.view() == CardView(
        CardState.INSERTED, "Enter the passcode to log in", simulated=True
    )
    assert session.gate_state() is GateState.NO_SESSION
    result = session.login("1234")
    assert result.ok and result.roles == ()
    assert result.message == "Logged in as Demo Administrator, R0001 System Administrator"
    assert session.gate_state() is GateState.OPEN and session.gate_open()
    assert session.gate_reason() == ""
    author = session.author()
    assert (author.sds_user_id, author.role_profile_id, author.job_role_code) == (
        ADMIN,
        ADMIN_ROLE,
        "R0001",
    )
    assert session.has_activity("B0062") and session.has_activity("B0370")
    session.require("B0062")
    view = session.view()
    assert view.state is CardState.LOGGED_IN and view.simulated
    assert (view.user_name, view.role_name, view.has_b0062) == (
        "Demo Administrator",
        "R0001 System Administrator",
        True,
    )
    assert view.time_left == timedelta(hours=10)


def test_wrong_passcodes_count_down_then_the_card_is_blocked(session, sim):
    assert session.login("0000").message == "Wrong passcode: 2 tries left"
    assert session.login("0000").message == "Wrong passcode: 1 try left"
    last = session.login("0000")
    assert not last.ok and "blocked" in last.message and "Registration Authority" in last.message
    blocked = session.login("1234")
    assert not blocked.ok
    assert blocked.message == (
        "This smartcard is blocked: ask your Registration Authority to unblock it"
    )
    assert sim.card.blocked and session.gate_state() is GateState.NO_SESSION


def test_a_right_passcode_resets_the_tries(session, sim):
    session.login("9999")
    assert sim.card.tries_left == 2
    assert session.login("1234").ok
    assert sim.card.tries_left == 3


def test_a_malformed_passcode_costs_no_try(session, sim):
    result = session.login("12")
    assert not result.ok and result.message == "The passcode is 4 to 8 digits"
    assert sim.card.tries_left == 3


def test_unknown_user_is_said_plainly(practice, clock):
    backend = SimulatedBackend(CardIdentity(STRANGER, "Stranger", "SIM-9"), "4321")
    backend.start()
    try:
        session = CardSession(backend, find_user, clock=clock, mhs_url=LOOPBACK)
        result = session.login("4321")
    finally:
        backend.stop()
    assert not result.ok
    assert result.message == f"Smartcard user {STRANGER} is not a user of this practice"
    assert session.gate_state() is GateState.NO_SESSION and session.author() is None


def test_several_role_profiles_are_chosen_by_the_user(practice, clock):
    backend = SimulatedBackend(CardIdentity(TWO_ROLES, "Pat Twohats", "SIM-3"), "1234")
    backend.start()
    session = CardSession(backend, find_user, clock=clock, mhs_url=LOOPBACK)
    result = session.login("1234")
    assert result.ok
    assert [(r.role_profile_id, r.label) for r in result.roles] == [
        (TWO_ROLES_CLINICAL, f"R8000 Clinical Practitioner ({TWO_ROLES_CLINICAL})"),
        (TWO_ROLES_ADMIN, f"R0001 System Administrator ({TWO_ROLES_ADMIN})"),
    ]
    assert session.gate_state() is GateState.NO_ROLE and session.author() is None
    assert session.view().needs_role_choice
    with pytest.raises(NotAuthorised, match="choose a role profile"):
        session.require()
    session.choose_role(TWO_ROLES_CLINICAL)
    assert session.gate_state() is GateState.NOT_AUTHORISED
    session.choose_role(TWO_ROLES_ADMIN)
    assert session.gate_open() and session.author().role_profile_id == TWO_ROLES_ADMIN
    with pytest.raises(ValueError, match="not one of Pat Twohats's"):
        session.choose_role(ADMIN_ROLE)
    backend.stop()


def test_a_role_without_b0062_is_refused_naming_activity_and_role(practice, clock):
    backend = SimulatedBackend(CardIdentity(CLINICIAN, "Dr Demo Clinician", "SIM-2"), "1234")
    backend.start()
    session = CardSession(backend, find_user, clock=clock, mhs_url=LOOPBACK)
    assert session.login("1234").ok
    assert not session.has_activity("B0062") and session.has_activity("B0370")
    with pytest.raises(NotAuthorised) as refused:
        session.require("B0062")
    assert str(refused.value) == (
        "Starting an upload needs RBAC activity B0062 (bulk uploads); "
        "your role R8000 Clinical Practitioner does not have it"
    )
    assert refused.value.code == "B0062" and refused.value.role.job_role_code == "R8000"
    assert session.gate_state() is GateState.NOT_AUTHORISED
    assert (
        "B0062" in session.gate_reason() and "R8000 Clinical Practitioner" in session.gate_reason()
    )
    view = session.view()
    assert view.state is CardState.LOGGED_IN and not view.has_b0062
    backend.stop()


def test_removal_locks_at_once_and_the_same_card_with_passcode_unlocks(session, sim):
    assert session.login("1234").ok
    number = session.session_id
    sim.remove()
    assert session.gate_state() is GateState.LOCKED  # no waiting for the event
    wait_until(lambda: any(e.kind == "locked" for e in session.events), what="locked event")
    view = session.view()
    assert (view.state, view.user_name) == (CardState.LOCKED, "Demo Administrator")
    assert view.message == ("Reinsert the same card and enter the passcode to unlock it")
    assert "Reinsert the same card" in session.gate_reason()
    sim.insert()
    assert session.gate_state() is GateState.LOCKED
    view = session.view()
    assert view.state is CardState.INSERTED
    assert view.message == "Enter the passcode to unlock the session of Demo Administrator"
    assert session.login("0000").message == "Wrong passcode: 2 tries left"
    assert session.gate_state() is GateState.LOCKED
    result = session.login("1234")
    assert result.ok and result.message == "Session unlocked: Demo Administrator"
    assert session.gate_open() and session.session_id == number
    assert session.author().role_profile_id == ADMIN_ROLE


def test_a_different_card_ends_the_session(session, sim):
    assert session.login("1234").ok
    first = session.session_id
    sim.insert(CardIdentity(CLINICIAN, "Dr Demo Clinician", "SIM-0002"), "5678")
    assert session.gate_state() is GateState.LOCKED
    result = session.login("5678")
    assert not result.ok and "different smartcard" in result.message
    assert "Demo Administrator has ended" in result.message
    assert session.gate_state() is GateState.ENDED and session.author() is None
    assert session.view().state is CardState.ENDED
    assert session.login("5678").ok  # a new session for the new card's holder
    assert session.session_id != first
    assert session.author().sds_user_id == CLINICIAN
    assert session.gate_state() is GateState.NOT_AUTHORISED


def test_the_session_expires_ten_hours_after_login(session, clock):
    assert session.login("1234").ok
    clock.advance(hours=9, minutes=59, seconds=59)
    assert session.gate_open() and session.time_left() == timedelta(seconds=1)
    clock.advance(seconds=1)
    assert session.gate_state() is GateState.EXPIRED and not session.gate_open()
    assert session.time_left() == timedelta(0)
    assert session.view().state is CardState.EXPIRED
    assert "expired at 18:00, 10 hours after login" in session.gate_reason()
    assert [e.kind for e in session.events].count("expired") == 1
    session.gate_state()
    assert [e.kind for e in session.events].count("expired") == 1
    # unlocking does not extend the session; a new login starts a new one
    assert session.login("1234").ok and session.time_left() == timedelta(hours=10)


def test_unlocking_keeps_the_original_expiry(session, sim, clock):
    assert session.login("1234").ok
    clock.advance(hours=6)
    sim.remove()
    sim.insert()
    assert session.login("1234").ok
    assert session.time_left() == timedelta(hours=4)


def test_the_simulated_card_never_opens_the_gate_for_a_real_spine(practice, sim, clock):
    session = CardSession(
        sim, find_user, clock=clock, mhs_url="https://msg.int.spine2.ncrs.nhs.uk/"
    )
    assert session.login("1234").ok
    assert session.gate_state() is GateState.REFUSED_REAL_SPINE
    assert "cannot send to a real Spine" in session.gate_reason()
    session.set_mhs_url("http://localhost:8080/")
    assert session.gate_open()
    session.set_mhs_url("http://10.1.2.3/")
    assert session.gate_state() is GateState.REFUSED_REAL_SPINE


def test_events_have_times_reach_listeners_and_are_logged_without_the_passcode(practice, clock):
    backend = SimulatedBackend(passcode="97531864")
    session = CardSession(backend, find_user, clock=clock, mhs_url=LOOPBACK)
    seen = []
    threads = set()
    session.add_listener(lambda e: (seen.append(e), threads.add(threading.current_thread().name)))
    backend.start()
    wait_until(lambda: len(seen) == 2, what="the start-up events")
    session.login("11111111")
    session.login("97531864")
    backend.remove()
    wait_until(lambda: any(e.kind == "locked" for e in seen), what="locked")
    backend.stop()
    kinds = [e.kind for e in session.events]
    assert [e.kind for e in seen] == kinds
    assert kinds == [
        CardEventKind.READERS_CHANGED.value,
        CardEventKind.INSERTED.value,
        "login_failed",
        "login",
        "role_selected",
        CardEventKind.REMOVED.value,
        "locked",
    ]
    assert all(e.at == clock.now for e in seen)
    assert "scrtui-simulated-card" in threads  # card events come from the backend's thread
    lines = [json.loads(line) for line in practice.json_log.read_text().splitlines()]
    logged = [line for line in lines if line["event"] == "card_session_event"]
    assert {line["kind"] for line in logged} >= {"login_failed", "login", "locked"}
    login = next(line for line in logged if line["kind"] == "login")
    assert (login["user"], login["role"], login["card_serial"]) == (ADMIN, None, "SIM-0001")
    locked = next(line for line in logged if line["kind"] == "locked")
    assert (locked["role"], locked["job_role"]) == (ADMIN_ROLE, "R0001")
    text = practice.json_log.read_text()
    assert "97531864" not in text and "11111111" not in text


def test_a_failing_listener_does_not_break_the_session(session):
    session.add_listener(lambda e: 1 / 0)
    assert session.login("1234").ok
    assert session.gate_open()


def test_logout_closes_the_gate(session):
    assert session.login("1234").ok
    session.logout()
    assert session.gate_state() is GateState.NO_SESSION and session.author() is None


def test_no_card_login_says_what_to_do(session, sim):
    sim.remove()
    result = session.login("1234")
    assert not result.ok and "insert your card" in result.message
    assert session.view().state is CardState.NO_CARD


APDU_SCRIPT = [
    profile.read_identity_command(),  # before SELECT
    profile.verify_command("1234"),  # before SELECT
    bytes.fromhex("00A4040008F0534352545549FF"),  # another application
    profile.select_command(),
    profile.read_identity_command(),  # before VERIFY
    profile.verify_command("9999"),
    profile.verify_command("1234"),
    profile.read_identity_command(),
    bytes.fromhex("00B0000000"),  # unknown instruction
    bytes.fromhex("A0A4000000"),  # unknown class
    profile.select_command(),  # SELECT again: verification is forgotten
    profile.read_identity_command(),
    profile.verify_command("0000"),
    profile.verify_command("0000"),
    profile.verify_command("0000"),
    profile.verify_command("1234"),  # blocked
]


def test_the_simulated_card_answers_exactly_like_the_virtual_card():
    identity = CardIdentity(ADMIN, "Demo Administrator", "SIM-0001")
    simulated = SimulatedCard(identity, "1234")
    virtual = VirtualCard(identity.sds_user_id, identity.name, identity.serial, "1234")
    for apdu in APDU_SCRIPT:
        assert simulated.process(apdu) == virtual._apdu(apdu), apdu.hex()
    assert simulated.blocked and virtual.blocked
