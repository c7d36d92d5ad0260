"""Card fixtures: practice users in a temporary database, the real pcscd, and virtual cards.

The pcscd fixtures skip (with the reason) when pcscd is not reachable, e.g. under a bare pytest;
`./run test` starts pcscd, and there they run. Other test packages can reuse them with
`from tests.card.conftest import pcscd, vcards, practice`.
"""

from __future__ import annotations

import fcntl
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from scrtui import logs
from scrtui.paths import Home
from scrtui.store.db import close_database, open_database
from scrtui.store.models import User, UserRoleProfile
from tests.card.vcard import READER_00, READER_01, VPCD_PORT, VirtualCard
from tests.conftest import patience

ADMIN = "555000000001"
CLINICIAN = "555000000002"
TWO_ROLES = "555000000003"
STRANGER = "555000000099"  # on a card, but not a user of the practice

ADMIN_ROLE = "555000000011"
CLINICIAN_ROLE = "555000000021"
TWO_ROLES_CLINICAL = "555000000031"
TWO_ROLES_ADMIN = "555000000032"

USERS: dict[str, tuple[str, list[tuple[str, str, str, str]]]] = {
    ADMIN: (
        "Demo Administrator",
        [(ADMIN_ROLE, "R0001", "System Administrator", "B0062,B0370")],
    ),
    CLINICIAN: (
        "Dr Demo Clinician",
        [(CLINICIAN_ROLE, "R8000", "Clinical Practitioner", "B0370")],
    ),
    TWO_ROLES: (
        "Pat Twohats",
        [
            (TWO_ROLES_CLINICAL, "R8000", "Clinical Practitioner", "B0370"),
            (TWO_ROLES_ADMIN, "R0001", "System Administrator", "B0062,B0370"),
        ],
    ),
}

VPCD_LOCK = Path("/tmp/scrtui-vpcd.lock")
VPCD_LOCK_WAIT_S = 120.0  # per test: another run's card test rarely takes more than 5 s


class FakeClock:
    """A wall clock that tests move by hand."""

    def __init__(self, start: datetime = datetime(2026, 11, 25, 8, 0)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def _stands_for_a_clock(fake: FakeClock) -> Callable[[], datetime]:
    """Never called: mypy (tests/test_types.py) checks here that the fake is the card
    session's clock (CardSession: `clock`)."""
    return fake


def add_users() -> None:
    for sds_user_id, (name, roles) in USERS.items():
        user = User.create(sds_user_id=sds_user_id, name=name)
        for role_id, code, role_name, activities in roles:
            UserRoleProfile.create(
                user=user,
                role_profile_id=role_id,
                job_role_code=code,
                job_role_name=role_name,
                activities=activities,
            )


@pytest.fixture
def practice(tmp_path: Path) -> Iterator[Home]:
    """A practice home (database with the users above, JSON log); find_user works on it."""
    home = Home(tmp_path / "home")
    home.ensure()
    logs.configure(home)
    open_database(home.db_path)
    add_users()
    yield home
    close_database()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# -- pcscd ---------------------------------------------------------------------------------------
def pcscd_problem(wait: float = 5.0) -> str | None:
    """Why the real-pcscd tests cannot run here, or None when pcscd and vpcd are ready."""
    from smartcard import scard

    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return (
            "pcscd is not running (the card tests need the pcscd that `./run test` starts): "
            + str(scard.SCardGetErrorMessage(hresult))
        )
    try:
        deadline = time.monotonic() + wait
        while True:
            _hr, readers = scard.SCardListReaders(ctx, [])
            if READER_00 in (readers or []) and READER_01 in readers:
                return None
            if time.monotonic() > deadline:
                return f"pcscd has no vpcd readers (found {readers!r}): install vsmartcard-vpcd"
            time.sleep(0.05)
    finally:
        scard.SCardReleaseContext(ctx)


def readers_with_cards() -> list[str]:
    from smartcard import scard

    hresult, ctx = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return []
    try:
        states = [(r, scard.SCARD_STATE_UNAWARE) for r in (READER_00, READER_01)]
        hresult, new = scard.SCardGetStatusChange(ctx, 0, states)
        return [name for name, state, _atr in new if state & scard.SCARD_STATE_PRESENT]
    finally:
        scard.SCardReleaseContext(ctx)


def wait_readers_empty(timeout: float = 3.0) -> None:
    deadline = time.monotonic() + patience(timeout)
    while busy := readers_with_cards():
        if time.monotonic() > deadline:
            raise AssertionError(
                f"a card stays in {busy}: is another test run using vpcd at the same time?"
            )
        time.sleep(0.02)


@pytest.fixture(scope="session")
def pcscd() -> None:
    """pcscd with the two vpcd readers, or a skip that says why not."""
    problem = pcscd_problem()
    if problem:
        pytest.skip(problem)


@contextmanager
def vpcd_readers() -> Iterator[None]:
    """Exclusive use of the vpcd readers across processes (two test runs on one machine)."""
    with VPCD_LOCK.open("a") as lock:
        deadline = time.monotonic() + patience(VPCD_LOCK_WAIT_S)
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    pytest.skip(f"another test run kept {VPCD_LOCK} (the vpcd readers) too long")
                time.sleep(0.05)
        try:
            wait_readers_empty()
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class Cards:
    """Makes virtual cards; every card made is removed when the test ends."""

    def __init__(self) -> None:
        self.made: list[VirtualCard] = []

    def __call__(
        self,
        sds_user_id: str = ADMIN,
        name: str = "Demo Administrator",
        serial: str = "VC-0001",
        passcode: str = "1234",
        port: int = VPCD_PORT,
        **options: object,
    ) -> VirtualCard:
        card = VirtualCard(sds_user_id, name, serial, passcode, port, **options)  # type: ignore[arg-type]
        self.made.append(card)
        return card

    def remove_all(self) -> None:
        for card in self.made:
            card.remove()


@pytest.fixture
def vcards(pcscd: None) -> Iterator[Cards]:
    """A virtual card factory; the vpcd readers are this test's alone until it ends."""
    with vpcd_readers():
        cards = Cards()
        try:
            yield cards
        finally:
            cards.remove_all()
            wait_readers_empty()


@pytest.fixture
def pcsc_backend(pcscd: None) -> Iterator[object]:
    """A started PcscBackend on the first vpcd reader."""
    from scrtui.card.pcsc import PcscBackend

    backend = PcscBackend(READER_00)
    backend.start()
    yield backend
    backend.stop()
