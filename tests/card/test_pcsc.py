"""The card through the real pcscd, with virtual cards on vpcd (tests/card/vcard.py).

These need the pcscd that `./run test` starts; without it they are skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from scrtui.card import profile
from scrtui.card.backend import CardEventKind, ReaderState
from scrtui.card.pcsc import PcscBackend
from scrtui.card.session import CardSession, NotAuthorised
from scrtui.domain.gate import GateState
from scrtui.services import CardState
from scrtui.store.queries import find_user
from tests.card.conftest import (
    ADMIN_ROLE,
    CLINICIAN,
    STRANGER,
    TWO_ROLES,
    TWO_ROLES_ADMIN,
    readers_with_cards,
)
from tests.card.vcard import READER_00, READER_01, VirtualCard, wait_until
from tests.conftest import patience

pytestmark = pytest.mark.pcsc

DETECT_S = 1.0  # insertion and removal must be seen within this
ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    """Card events with the time the monitor thread produced them."""

    def __init__(self) -> None:
        self.events: list = []
        self._lock = threading.Lock()

    def __call__(self, event: object) -> None:
        with self._lock:
            self.events.append(event)

    def first(self, kind: CardEventKind, after: float) -> object | None:
        with self._lock:
            return next((e for e in self.events if e.kind is kind and e.at >= after), None)


def insert(card: VirtualCard, backend: PcscBackend) -> None:
    card.insert()
    wait_until(lambda: backend.reader_state().card_in_reader, DETECT_S, "the card to be seen")


def remove(card: VirtualCard, backend: PcscBackend) -> None:
    card.remove()
    wait_until(lambda: not backend.reader_state().card_in_reader, DETECT_S, "the card to go")


@pytest.fixture
def session(practice, pcsc_backend, clock):
    return CardSession(pcsc_backend, find_user, clock=clock)


# -- the reader ---------------------------------------------------------------------------------
def test_insertion_and_removal_are_seen_within_a_second(pcsc_backend, vcards):
    recorder = Recorder()
    pcsc_backend.add_listener(recorder)
    card = vcards()
    seen_in, seen_out = [], []
    for _ in range(3):
        card.insert()
        wait_until(lambda: recorder.first(CardEventKind.INSERTED, card.inserted_at), DETECT_S)
        seen_in.append(
            recorder.first(CardEventKind.INSERTED, card.inserted_at).at - card.inserted_at
        )
        status = pcsc_backend.reader_state()
        assert status.state is ReaderState.CARD_PRESENT and status.reader == READER_00
        assert status.atr == card.atr and "Smartcard present" in status.message
        card.remove()
        wait_until(lambda: recorder.first(CardEventKind.REMOVED, card.removed_at), DETECT_S)
        seen_out.append(recorder.first(CardEventKind.REMOVED, card.removed_at).at - card.removed_at)
        assert pcsc_backend.reader_state().state is ReaderState.NO_CARD
    print(f"insertion seen after {[f'{s:.3f}' for s in seen_in]} s")
    print(f"removal seen after {[f'{s:.3f}' for s in seen_out]} s")
    assert max(seen_in + seen_out) < DETECT_S
    assert (
        pcsc_backend.reader_state().message
        == 'No smartcard in "Virtual PCD 00 00": insert your card'
    )


def test_the_gate_closes_within_a_second_of_removal(session, pcsc_backend, vcards):
    card = vcards()
    insert(card, pcsc_backend)
    assert session.login("1234").ok and session.gate_open()
    card.remove()
    waited = wait_until(lambda: not session.gate_open(), DETECT_S, "the gate to close")
    print(f"gate closed {waited:.3f} s after removal")
    assert session.gate_state() is GateState.LOCKED


def test_the_first_reader_holding_a_card_is_used(pcscd, vcards):
    backend = PcscBackend()
    backend.start()
    try:
        assert backend.reader_state().state is ReaderState.NO_CARD
        assert backend.reader_state().readers == (READER_00, READER_01)
        second = vcards(serial="VC-0101", port=35964)
        insert(second, backend)
        assert backend.reader_state().reader == READER_01
        first = vcards(serial="VC-0001")
        first.insert()
        wait_until(lambda: all(s.card_present for s in backend.reader_state().slots), DETECT_S)
        assert backend.reader_state().reader == READER_01  # stays with the card in use
        insertion = backend.reader_state().insertion
        second.remove()
        wait_until(lambda: backend.reader_state().reader == READER_00, DETECT_S)
        assert backend.reader_state().insertion != insertion
    finally:
        backend.stop()


def test_a_card_without_the_application_is_named_as_such(session, pcsc_backend, vcards):
    card = vcards(has_application=False)
    insert(card, pcsc_backend)
    status = pcsc_backend.reader_state()
    assert status.state is ReaderState.NO_APPLICATION
    assert "not a practice smartcard: it has no SCR application" in status.message
    assert session.view().state is CardState.WRONG_CARD
    result = session.login("1234")
    assert not result.ok and "no SCR application" in result.message


def test_a_named_reader_that_is_not_there(pcscd):
    backend = PcscBackend("Reader That Is Not There")
    backend.start()
    try:
        status = backend.reader_state()
        assert status.state is ReaderState.NO_READER
        assert status.message == (
            'Card reader "Reader That Is Not There" is not connected '
            "(readers: Virtual PCD 00 00, Virtual PCD 00 01)"
        )
    finally:
        backend.stop()


def test_read_identity_needs_a_verified_passcode(pcsc_backend, vcards):
    card = vcards()
    insert(card, pcsc_backend)
    assert pcsc_backend.transmit(profile.select_command()) == b"\x90\x00"
    assert pcsc_backend.transmit(profile.read_identity_command()) == b"\x69\x82"


# -- the session -----------------------------------------------------------------------------------
def test_login_selects_verifies_and_reads_the_identity(session, pcsc_backend, vcards):
    card = vcards(serial="VC-7777", passcode="24680")
    insert(card, pcsc_backend)
    result = session.login("24680")
    assert result.ok and result.roles == ()
    assert card.apdus[-3:] == [
        profile.select_command(),
        profile.verify_command("24680"),
        profile.read_identity_command(),
    ]
    assert session.card() == profile.CardIdentity("555000000001", "Demo Administrator", "VC-7777")
    assert session.author().role_profile_id == ADMIN_ROLE
    assert session.gate_open() and session.view().state is CardState.LOGGED_IN
    session.require("B0062")


def test_wrong_passcode_then_blocked(session, pcsc_backend, vcards):
    card = vcards()
    insert(card, pcsc_backend)
    assert session.login("0000").message == "Wrong passcode: 2 tries left"
    assert session.login("0000").message == "Wrong passcode: 1 try left"
    assert "blocked" in session.login("0000").message
    assert card.blocked
    result = session.login("1234")
    assert not result.ok
    assert (
        result.message == "This smartcard is blocked: ask your Registration Authority to unblock it"
    )


def test_an_unknown_user_is_refused(session, pcsc_backend, vcards):
    insert(vcards(sds_user_id=STRANGER, name="Stranger"), pcsc_backend)
    result = session.login("1234")
    assert not result.ok
    assert result.message == "Smartcard user 555000000099 is not a user of this practice"


def test_rbac_refused_for_a_role_without_b0062(session, pcsc_backend, vcards):
    insert(vcards(sds_user_id=CLINICIAN, name="Dr Demo Clinician"), pcsc_backend)
    assert session.login("1234").ok
    assert session.gate_state() is GateState.NOT_AUTHORISED
    with pytest.raises(NotAuthorised, match="B0062.*your role R8000 Clinical Practitioner"):
        session.require("B0062", action="Pausing an upload")


def test_role_choice_on_a_real_card(session, pcsc_backend, vcards):
    insert(vcards(sds_user_id=TWO_ROLES, name="Pat Twohats"), pcsc_backend)
    result = session.login("1234")
    assert result.ok and len(result.roles) == 2
    assert session.gate_state() is GateState.NO_ROLE
    session.choose_role(TWO_ROLES_ADMIN)
    assert session.gate_open()


def test_the_same_card_back_with_the_passcode_unlocks(session, pcsc_backend, vcards):
    card = vcards()
    insert(card, pcsc_backend)
    assert session.login("1234").ok
    number = session.session_id
    remove(card, pcsc_backend)
    assert session.view().state is CardState.LOCKED
    insert(card, pcsc_backend)
    assert session.gate_state() is GateState.LOCKED
    assert session.view().state is CardState.INSERTED
    result = session.login("1234")
    assert result.ok and result.message == "Session unlocked: Demo Administrator"
    assert session.gate_open() and session.session_id == number
    kinds = [e.kind for e in session.events]
    assert kinds.index("locked") < kinds.index("unlocked")


def test_a_different_card_after_removal_ends_the_session(session, pcsc_backend, vcards):
    card = vcards()
    insert(card, pcsc_backend)
    assert session.login("1234").ok
    remove(card, pcsc_backend)
    other = vcards(sds_user_id=CLINICIAN, name="Dr Demo Clinician", serial="VC-0002")
    insert(other, pcsc_backend)
    result = session.login("1234")
    assert not result.ok and "different smartcard (serial VC-0002)" in result.message
    assert session.gate_state() is GateState.ENDED
    assert session.view().state is CardState.ENDED
    assert session.login("1234").ok and session.user().sds_user_id == CLINICIAN


def test_the_session_expires_at_ten_hours(session, pcsc_backend, vcards, clock):
    insert(vcards(), pcsc_backend)
    assert session.login("1234").ok
    clock.advance(hours=10, seconds=-1)
    assert session.gate_open()
    clock.advance(seconds=1)
    assert session.gate_state() is GateState.EXPIRED
    assert session.view().state is CardState.EXPIRED


# -- without pcscd, without readers, and exiting -----------------------------------------------
QUIET_LOGS = """
from scrtui import logs
from scrtui.paths import Home, resolve_home
logs.configure(Home(resolve_home()))
"""


def run_python(
    code: str, home: Path, env: dict[str, str] | None = None, timeout: float = 15
) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter, its logs in a throw-away home ($SCRTUI_HOME)."""
    return subprocess.run(
        [sys.executable, "-c", QUIET_LOGS + textwrap.dedent(code)],
        cwd=ROOT,
        env={**os.environ, "SCRTUI_HOME": str(home), **(env or {})},
        capture_output=True,
        text=True,
        timeout=patience(timeout),  # only stops a hung interpreter
    )


NO_PCSCD = {"PCSCLITE_CSOCK_NAME": "/nonexistent/pcscd.comm"}


def test_pcscd_not_running_is_said_plainly(tmp_path):
    result = run_python(
        """
        import time
        from scrtui.card.pcsc import PcscBackend
        from scrtui.card.session import CardSession
        from scrtui.card.backend import ServiceDownError
        backend = PcscBackend()
        backend.start()
        status = backend.reader_state()
        print(status.state.value)
        print(status.message)
        try:
            backend.transmit(b"\\x00\\xa4\\x04\\x00")
        except ServiceDownError as exc:
            print("transmit refused")
        session = CardSession(backend, lambda _id: None)
        print(session.login("1234").message)
        print(session.view().state.name)
        start = time.monotonic()
        backend.stop()
        print(f"stopped in {time.monotonic() - start:.2f}")
        """,
        tmp_path,
        NO_PCSCD,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "service_down"
    assert lines[1].startswith("The PC/SC smartcard service (pcscd) is not running")
    assert lines[2] == "transmit refused"
    assert lines[3].startswith("The PC/SC smartcard service (pcscd) is not running")
    assert lines[4] == "NO_SERVICE"
    assert float(lines[5].split()[-1]) < 1.0
    status = subprocess.run(
        [sys.executable, "-m", "scrtui", "--home", str(tmp_path), "card", "status"],
        env={**os.environ, **NO_PCSCD},
        capture_output=True,
        text=True,
        timeout=15,
    )
    assert status.returncode == 2
    assert "PC/SC service: not running (Service not available (0x8010001D))" in status.stdout
    assert "pcscd) is not running" in status.stdout


def test_no_reader_at_all(tmp_path):
    """A private pcscd with no reader configured, in a mount namespace of its own."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        pytest.skip("needs root and unshare to run a second pcscd privately")
    if not Path("/usr/sbin/pcscd").exists():
        pytest.skip("pcscd is not installed")
    conf = tmp_path / "reader.conf.d"
    conf.mkdir()
    script = f"""
        set -e
        mount -t tmpfs none /run/pcscd
        /usr/sbin/pcscd --foreground -c {conf} </dev/null >{tmp_path}/pcscd.log 2>&1 &
        pid=$!
        for i in $(seq 100); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.05; done
        set +e
        {sys.executable} -m scrtui --home {tmp_path} card status
        rc=$?
        kill -TERM $pid; wait $pid
        exit $rc
    """
    Path("/run/pcscd").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "PCSCLITE_CSOCK_NAME"}
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=20,
        cwd=ROOT,
        env=env,
    )
    if "unshare failed" in result.stderr or "mount:" in result.stderr:
        pytest.skip(f"cannot make a private mount namespace here: {result.stderr.strip()}")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Readers: none" in result.stdout
    assert "No smartcard reader is connected: plug one in" in result.stdout


EXIT_SCRIPT = """
    import sys, time
    from scrtui.card.pcsc import PcscBackend
    backend = PcscBackend()
    backend.start()
    backend.add_listener(lambda e: None)
    time.sleep(0.7)  # the status loop is inside SCardGetStatusChange now
    assert backend._thread.is_alive()
    if "{how}" == "stop":
        start = time.monotonic()
        backend.stop()
        print(f"stopped in {{time.monotonic() - start:.3f}} s")
    print("exiting")
"""


@pytest.mark.parametrize("how", ["stop", "just-exit"])
def test_the_process_exits_cleanly_while_the_status_loop_runs(pcscd, how, tmp_path):
    """Stopping (or just exiting) while the status loop waits inside SCardGetStatusChange
    ends the process cleanly: without the cancel it would wait there for ever (the hang
    guard is run_python's timeout; how long a stop takes is not asserted on a shared
    machine)."""
    result = run_python(EXIT_SCRIPT.format(how=how), tmp_path, timeout=10)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.splitlines()[-1] == "exiting"
    if how == "stop":
        assert result.stdout.splitlines()[-2].startswith("stopped in ")


def test_the_process_exits_while_the_loop_waits_for_pcscd(tmp_path):
    result = run_python(EXIT_SCRIPT.format(how="just-exit"), tmp_path, NO_PCSCD, timeout=10)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


# -- the commands ---------------------------------------------------------------------------------
def scrtui(
    home: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scrtui", "--home", str(home), *args],
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=20,
    )


def test_card_status_command(pcscd, vcards, tmp_path):
    empty = scrtui(tmp_path, "card", "status", "--reader", READER_00)
    assert empty.returncode == 2
    assert 'Not ready: No smartcard in "Virtual PCD 00 00": insert your card' in empty.stdout
    card = vcards()
    card.insert()
    wait_until(lambda: READER_00 in readers_with_cards(), DETECT_S, "pcscd to see the card")
    ready = scrtui(tmp_path, "card", "status")
    assert ready.returncode == 0, ready.stdout + ready.stderr
    assert "PC/SC service: running" in ready.stdout
    assert (
        f"  {READER_00}: card present (practice smartcard), ATR {profile.hex_bytes(card.atr)}"
        in ready.stdout
    )
    assert f"  {READER_01}: no card" in ready.stdout
    assert f"Reader in use: {READER_00}" in ready.stdout


def test_card_login_command(practice, vcards):
    card = vcards(sds_user_id=TWO_ROLES, name="Pat Twohats", serial="VC-0003", passcode="8642")
    card.insert()
    env = {"SCRTUI_PASSCODE": "8642"}
    wait_until(lambda: READER_00 in readers_with_cards(), DETECT_S, "pcscd to see the card")
    result = scrtui(practice.root, "card", "login", "--reader", READER_00, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "User: Pat Twohats (SDS user id 555000000003)" in result.stdout
    assert "555000000031  R8000 Clinical Practitioner  B0062: no" in result.stdout
    assert "555000000032  R0001 System Administrator  B0062: yes" in result.stdout
    assert "No role profile selected: choose one with --role ID" in result.stdout
    chosen = scrtui(practice.root, "card", "login", "--role", TWO_ROLES_ADMIN, env=env)
    assert chosen.returncode == 0, chosen.stdout + chosen.stderr
    assert "B0062 (bulk uploads): held by R0001 System Administrator" in chosen.stdout
    wrong = scrtui(practice.root, "card", "login", env={"SCRTUI_PASSCODE": "0000"})
    assert wrong.returncode == 2 and "Wrong passcode: 2 tries left" in wrong.stderr
    assert "8642" not in practice.json_log.read_text()


def test_upload_and_card_login_refuse_a_role_the_user_does_not_have(practice, vcards):
    card = vcards(sds_user_id=TWO_ROLES, name="Pat Twohats", serial="VC-0003", passcode="8642")
    card.insert()
    env = {"SCRTUI_PASSCODE": "8642"}
    wait_until(lambda: READER_00 in readers_with_cards(), DETECT_S, "pcscd to see the card")
    both = "R8000 Clinical Practitioner (555000000031); R0001 System Administrator (555000000032)"
    for command in (
        ("upload", "--mode", "run", "--card", "pcsc", "--reader", READER_00, "--yes"),
        ("card", "login", "--reader", READER_00),
    ):
        result = scrtui(practice.root, *command, "--role", "555000000011", env=env)
        assert result.returncode == 2, result.stdout + result.stderr
        assert "--role 555000000011 is not one of this smartcard user's role profiles" in (
            result.stderr
        )
        assert both in result.stderr
        assert "Traceback" not in result.stderr
    assert practice.db_path.exists()
    runs = count_rows(practice, "SELECT COUNT(*) FROM run")
    assert runs == 0


def count_rows(home: Path, sql: str) -> int:
    import sqlite3

    conn = sqlite3.connect(home.db_path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


# -- a pcscd restart (opt-in: it restarts the machine's one pcscd) --------------------------------
def _pcscd_pid() -> int | None:
    try:
        text = Path("/run/pcscd/pcscd.pid").read_bytes().replace(b"\0", b"").split()[0]
    except (OSError, IndexError):
        return None
    pid = int(text)
    comm = Path(f"/proc/{pid}/comm")
    return pid if comm.exists() and comm.read_text().strip() == "pcscd" else None


@pytest.mark.skipif(
    os.environ.get("SCRTUI_TEST_PCSCD_RESTART") != "1",
    reason="restarts the machine's pcscd (leaving a new one running): "
    "opt in with SCRTUI_TEST_PCSCD_RESTART=1",
)
def test_the_status_loop_recovers_when_pcscd_restarts(session, pcsc_backend, vcards, tmp_path):
    card = vcards()
    insert(card, pcsc_backend)
    assert session.login("1234").ok
    pid = _pcscd_pid()
    assert pid is not None, "no pcscd pid file"
    os.kill(pid, signal.SIGTERM)
    wait_until(lambda: pcsc_backend.reader_state().state is ReaderState.SERVICE_DOWN, 3.0)
    assert session.gate_state() is GateState.LOCKED
    wait_until(lambda: not Path("/run/pcscd/pcscd.comm").exists(), 3.0, "the old pcscd to go")
    with (tmp_path / "pcscd.log").open("w") as log:
        subprocess.Popen(
            ["/usr/sbin/pcscd", "--foreground", "--info"],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_until(lambda: pcsc_backend.reader_state().state is ReaderState.NO_CARD, 5.0, "recovery")
    card.remove()  # pcscd dropped the card's socket when it stopped: put it in again
    insert(card, pcsc_backend)
    assert session.gate_state() is GateState.LOCKED  # the card could have changed meanwhile
    assert session.login("1234").ok and session.gate_open()
