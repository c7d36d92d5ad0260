"""The smartcard session: login, role choice, RBAC, lock on removal, 10-hour expiry, one gate.

The upload engine polls gate_open() before every send. It costs no APDU and takes no lock: the
session keeps an immutable snapshot that it replaces under its lock, and the backend keeps the
reader status the same way, so the gate sees a removal as soon as the backend does.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from scrtui import logs
from scrtui.card import profile
from scrtui.card.backend import (
    CardBackend,
    CardError,
    CardEvent,
    CardEventKind,
    ReaderState,
    ReaderStatus,
)
from scrtui.card.profile import CardIdentity, VerifyOutcome
from scrtui.card.views import CardState, CardView, LoginResult, RoleChoice
from scrtui.domain import gate
from scrtui.domain import session_text as text
from scrtui.domain.gate import GateState
from scrtui.domain.progress import whole_minutes
from scrtui.domain.rbac import UPLOAD_ACTIVITY, activity_label, holds, role_label
from scrtui.domain.records import Author, RoleProfile, UserIdentity
from scrtui.settings import is_loopback_url

MAX_EVENTS = 1000


class NotAuthorised(Exception):
    """The selected role profile lacks an RBAC activity; the message names both."""

    def __init__(self, message: str, code: str, role: RoleProfile | None) -> None:
        super().__init__(message)
        self.code = code
        self.role = role


@dataclass(frozen=True, slots=True)
class SessionEvent:
    at: datetime
    kind: str
    detail: str


SessionListener = Callable[[SessionEvent], None]


@dataclass(frozen=True, slots=True)
class _Session:
    """One login's state; replaced whole (never mutated) so readers need no lock."""

    number: int
    user: UserIdentity
    card: CardIdentity
    insertion: int
    reader: str
    started: datetime
    expires: datetime
    role: RoleProfile | None = None
    locked: bool = False
    ended: bool = False
    expiry_noted: bool = False


class _Refused(Exception):
    """Login cannot go on; the message is for the user."""


class _Blocked(_Refused):
    """The card answered that it is blocked: no passcode can unlock it until the RA does."""


def role_choice(role: RoleProfile) -> RoleChoice:
    return RoleChoice(role.role_profile_id, f"{role_label(role)} ({role.role_profile_id})")


class CardSession:
    """Thread-safe: login and role choice from the UI, card events from the backend's thread."""

    def __init__(
        self,
        backend: CardBackend,
        find_user: Callable[[str], UserIdentity | None],
        *,
        clock: Callable[[], datetime] = datetime.now,
        mhs_url: str = "",
        max_events: int = MAX_EVENTS,
    ) -> None:
        self._backend = backend
        self._simulated = bool(getattr(backend, "simulated", False))
        self._find_user = find_user
        self._clock = clock
        self._mhs_url = mhs_url
        self._loopback = is_loopback_url(mhs_url)  # cached: the gate is polled per send
        self._lock = threading.RLock()
        self._session: _Session | None = None
        # The insertion whose VERIFY answered "blocked": the reader cannot say so before a
        # VERIFY, so the view remembers it while that card stays in.
        self._blocked_insertion: int | None = None
        self._numbers = 0
        self._events: deque[SessionEvent] = deque(maxlen=max_events)
        self._events_lock = threading.Lock()
        self._pending: deque[SessionEvent] = deque()
        self._listeners: list[SessionListener] = []
        self._log = logs.get("scrtui.card")
        backend.add_listener(self._on_card_event)

    @property
    def events(self) -> list[SessionEvent]:
        """The latest events (at most max_events), oldest first; a copy, safe to iterate."""
        with self._events_lock:  # not the session lock: a login in progress does not block this
            return list(self._events)

    # -- listeners and events --------------------------------------------------------------------
    def add_listener(self, callback: SessionListener) -> None:
        """callback(event) on every event, from the thread that caused it (the card monitor's
        for card events, the caller's for login and role choice), never under the session lock."""
        with self._lock:
            self._listeners.append(callback)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the session lock; afterwards, without it, tell the listeners what happened."""
        try:
            with self._lock:
                yield
        finally:
            self._dispatch()

    def _record(self, kind: str, detail: str) -> None:
        """Call with the lock held: keep, log and queue the event for the listeners."""
        event = SessionEvent(self._clock(), kind, detail)
        with self._events_lock:
            self._events.append(event)
        self._pending.append(event)
        s = self._session
        self._log.info(
            "card_session_event",
            kind=kind,
            detail=detail,
            user=s.user.sds_user_id if s else None,
            user_name=s.user.name if s else None,
            role=s.role.role_profile_id if s and s.role else None,
            job_role=s.role.job_role_code if s and s.role else None,
            card_serial=s.card.serial if s else None,
            session=s.number if s else None,
        )

    def _dispatch(self) -> None:
        while True:
            try:
                event = self._pending.popleft()
            except IndexError:
                return
            with self._lock:
                listeners = list(self._listeners)
            for callback in listeners:
                try:
                    callback(event)
                except Exception:  # noqa: BLE001 - a bad listener must not break the session
                    self._log.exception("card_session_listener_failed", kind=event.kind)

    # -- settings --------------------------------------------------------------------------------
    @property
    def mhs_url(self) -> str:
        return self._mhs_url

    def set_mhs_url(self, url: str) -> None:
        """The settings changed: the simulated card's loopback check follows the new URL."""
        with self._locked():
            self._mhs_url = url
            self._loopback = is_loopback_url(url)
            if self._refuses_real_spine():
                self._record("refused_real_spine", text.real_spine(self._mhs_url))

    @property
    def simulated(self) -> bool:
        return self._simulated

    @property
    def backend(self) -> CardBackend:
        return self._backend

    @property
    def session_id(self) -> int | None:
        """A number for the current login; it stays through lock and unlock, and changes when
        a new login starts. The engine can compare it to spot a run outliving its session."""
        s = self._session
        return None if s is None or s.ended else s.number

    # -- who is logged in -------------------------------------------------------------------------
    def user(self) -> UserIdentity | None:
        s = self._session
        return None if s is None or s.ended else s.user

    def card(self) -> CardIdentity | None:
        s = self._session
        return None if s is None or s.ended else s.card

    def role(self) -> RoleProfile | None:
        s = self._session
        return None if s is None or s.ended else s.role

    def expires_at(self) -> datetime | None:
        s = self._session
        return None if s is None or s.ended else s.expires

    # -- login -----------------------------------------------------------------------------------
    def login(self, passcode: str) -> LoginResult:
        """SELECT, VERIFY, READ IDENTITY, then the practice's user list. Never logs the passcode."""
        with self._locked():
            status = self._backend.reader_state()
            try:
                identity = self._read_card(status, passcode)
                return self._after_card_read(identity, status)
            except _Refused as refused:
                if isinstance(refused, _Blocked):
                    self._blocked_insertion = status.insertion
                self._record("login_failed", str(refused))
                return LoginResult(False, str(refused))

    def _read_card(self, status: ReaderStatus, passcode: str) -> CardIdentity:
        if not status.usable:
            raise _Refused(status.message)
        if not profile.is_valid_passcode(passcode):
            raise _Refused(
                f"The passcode is {profile.PASSCODE_MIN} to {profile.PASSCODE_MAX} digits"
            )
        try:
            identity = self._exchange(passcode)
        except CardError as exc:
            raise _Refused(str(exc)) from None
        except profile.ProfileError as exc:
            raise _Refused(f"The smartcard gave an unexpected answer: {exc}") from None
        if self._backend.reader_state().insertion != status.insertion:
            raise _Refused("The smartcard was removed during login: insert it and try again")
        return identity

    def _exchange(self, passcode: str) -> CardIdentity:
        transmit = self._backend.transmit
        if not profile.parse_select(transmit(profile.select_command())):
            raise _Refused("This card has no SCR application: it is not a practice smartcard")
        result = profile.parse_verify(transmit(profile.verify_command(passcode)))
        if result.outcome is VerifyOutcome.BLOCKED:
            raise _Blocked(text.BLOCKED_MESSAGE)
        if result.outcome is VerifyOutcome.WRONG:
            left = result.tries_left or 0
            if left == 0:
                raise _Blocked(f"Wrong passcode. {text.BLOCKED_MESSAGE}")
            raise _Refused(f"Wrong passcode: {left} {'try' if left == 1 else 'tries'} left")
        return profile.parse_read_identity(transmit(profile.read_identity_command()))

    def _after_card_read(self, identity: CardIdentity, status: ReaderStatus) -> LoginResult:
        s = self._session
        now = self._clock()
        if s is not None and not s.ended and now >= s.expires:
            self._note_expiry_locked()
            s = None
        if s is not None and not s.ended:
            if _same_card(s, identity):
                return self._unlock(s, status)
            return self._end(s, identity)
        return self._start(identity, status, now)

    def _unlock(self, s: _Session, status: ReaderStatus) -> LoginResult:
        was_locked = s.locked or s.insertion != status.insertion
        self._session = replace(s, locked=False, insertion=status.insertion, reader=status.reader)
        if was_locked:
            self._record(
                "unlocked", f"{s.user.name} unlocked the session with card {s.card.serial}"
            )
            return LoginResult(True, f"Session unlocked: {s.user.name}")
        return LoginResult(True, f"Already logged in as {s.user.name}")

    def _end(self, s: _Session, identity: CardIdentity) -> LoginResult:
        self._session = replace(s, ended=True, locked=True)
        message = (
            f"A different smartcard (serial {identity.serial}) was inserted: the session of "
            f"{s.user.name} has ended. Enter the passcode again to start a new session"
        )
        self._record("ended", message)
        return LoginResult(False, message)

    def _start(self, identity: CardIdentity, status: ReaderStatus, now: datetime) -> LoginResult:
        user = self._lookup(identity)
        self._numbers += 1
        only = user.role_profiles[0] if len(user.role_profiles) == 1 else None
        self._session = _Session(
            number=self._numbers,
            user=user,
            card=identity,
            insertion=status.insertion,
            reader=status.reader,
            started=now,
            expires=now + text.SESSION_LENGTH,
        )
        self._record(
            "login",
            f"{user.name} ({user.sds_user_id}) logged in with card {identity.serial} "
            f"in {status.reader}; the session expires at {self._session.expires:%H:%M}",
        )
        if self._refuses_real_spine():
            self._record("refused_real_spine", text.real_spine(self._mhs_url))
        if only is not None:
            self._select_role(only, automatic=True)
            return LoginResult(True, f"Logged in as {user.name}, {role_label(only)}")
        return LoginResult(
            True,
            f"Logged in as {user.name}: choose a role profile",
            roles=tuple(role_choice(r) for r in user.role_profiles),
        )

    def _lookup(self, identity: CardIdentity) -> UserIdentity:
        try:
            user = self._find_user(identity.sds_user_id)
        except Exception as exc:  # noqa: BLE001 - the database's problem, said plainly
            self._log.exception("card_user_lookup_failed")
            raise _Refused(f"Cannot read the practice's users: {exc}") from None
        if user is None:
            raise _Refused(f"Smartcard user {identity.sds_user_id} is not a user of this practice")
        if not user.role_profiles:
            raise _Refused(
                f"Smartcard user {identity.sds_user_id} ({user.name}) has no role profile "
                "at this practice"
            )
        return user

    def logout(self) -> None:
        with self._locked():
            s = self._session
            if s is None or s.ended:
                return
            self._record("logged_out", f"{s.user.name} logged out")
            self._session = None

    # -- role profiles ---------------------------------------------------------------------------
    def roles(self) -> tuple[RoleChoice, ...]:
        s = self._session
        if s is None or s.ended:
            return ()
        return tuple(role_choice(r) for r in s.user.role_profiles)

    def choose_role(self, role_profile_id: str) -> None:
        with self._locked():
            s = self._session
            if s is None or s.ended:
                raise ValueError("No smartcard session: insert your card and enter the passcode")
            for role in s.user.role_profiles:
                if role.role_profile_id == role_profile_id:
                    self._select_role(role, automatic=False)
                    return
            raise ValueError(f"Role profile {role_profile_id} is not one of {s.user.name}'s")

    def _select_role(self, role: RoleProfile, *, automatic: bool) -> None:
        assert self._session is not None
        self._session = replace(self._session, role=role)
        held = "holds" if holds(role, UPLOAD_ACTIVITY) else "does not hold"
        how = "the only role profile" if automatic else "chosen"
        self._record(
            "role_selected",
            f"{role_choice(role).label}, {how}; it {held} {activity_label(UPLOAD_ACTIVITY)}",
        )

    def author(self) -> Author | None:
        s = self._session
        if s is None or s.ended or s.role is None:
            return None
        return Author(s.user.sds_user_id, s.user.name, s.role.role_profile_id, s.role.job_role_code)

    def has_activity(self, code: str = UPLOAD_ACTIVITY) -> bool:
        s = self._session
        return s is not None and not s.ended and holds(s.role, code)

    def require(self, code: str = UPLOAD_ACTIVITY, *, action: str = "Starting an upload") -> None:
        """Raise NotAuthorised unless the selected role profile holds the activity."""
        s = self._session
        if s is None or s.ended:
            raise NotAuthorised(text.needs_session(action, code), code, None)
        if s.role is None:
            raise NotAuthorised(text.needs_role(action, code), code, None)
        if not holds(s.role, code):
            raise NotAuthorised(text.rbac_refusal(action, code, s.role), code, s.role)

    # -- card events -----------------------------------------------------------------------------
    def _on_card_event(self, event: CardEvent) -> None:
        with self._locked():
            self._record(event.kind.value, event.message)
            s = self._session
            if s is None or s.ended or s.locked:
                return
            gone = event.kind in (CardEventKind.REMOVED, CardEventKind.SERVICE_DOWN)
            if gone or event.status.insertion != s.insertion:
                self._session = replace(s, locked=True)
                self._record(
                    "locked",
                    "The smartcard was removed: the session is locked. Reinsert the same card "
                    "and enter the passcode",
                )

    # -- the gate --------------------------------------------------------------------------------
    def gate_state(self) -> GateState:
        return self._gate(self._session, self._backend.reader_state(), self._clock())

    def gate_open(self) -> bool:
        return self.gate_state() is GateState.OPEN

    def _gate(self, s: _Session | None, status: ReaderStatus, now: datetime) -> GateState:
        state = gate.decide(self._facts(s, status), now)
        if state is GateState.EXPIRED and s is not None and not s.expiry_noted:
            self._note_expiry()
        return state

    def _facts(self, s: _Session | None, status: ReaderStatus) -> gate.GateFacts:
        return gate.GateFacts(
            logged_in=s is not None,
            ended=s is not None and s.ended,
            expires=s.expires if s is not None else None,
            locked=s is not None and s.locked,
            card_usable=status.usable,
            same_insertion=s is not None and status.insertion == s.insertion,
            refuses_real_spine=self._refuses_real_spine(),
            role=s.role if s is not None else None,
        )

    def _note_expiry(self) -> None:
        with self._locked():
            self._note_expiry_locked()

    def _note_expiry_locked(self) -> None:
        s = self._session
        if s is None or s.ended or s.expiry_noted:
            return
        self._session = replace(s, expiry_noted=True)
        self._record(
            "expired",
            f"The smartcard session of {s.user.name} expired at {s.expires:%H:%M}, "
            f"{text.hours(text.SESSION_LENGTH)} after login",
        )

    def _refuses_real_spine(self) -> bool:
        return self.simulated and not self._loopback

    def gate_reason(self) -> str:
        """Why the gate is closed, in plain English ("" when it is open)."""
        s = self._session
        status = self._backend.reader_state()
        state = self._gate(s, status, self._clock())
        return self._reason(state, s, status)

    def _reason(self, state: GateState, s: _Session | None, status: ReaderStatus) -> str:
        if state is GateState.OPEN:
            return ""
        if state is GateState.NO_SESSION:
            if status.usable:
                return "No smartcard session: enter the passcode to log in"
            return f"No smartcard session. {status.message}"
        assert s is not None
        return text.gate_reason(
            state,
            user_name=s.user.name,
            expires=s.expires,
            role=s.role,
            locked=self._locked_reason(status),
            mhs_url=self._mhs_url,
        )

    @staticmethod
    def _locked_reason(status: ReaderStatus) -> str:
        if status.state is ReaderState.SERVICE_DOWN:
            return text.locked(False, status.message)
        return text.locked(status.card_in_reader)

    def time_left(self) -> timedelta | None:
        s = self._session
        if s is None or s.ended:
            return None
        return max(s.expires - self._clock(), timedelta(0))

    # -- the UI's view -----------------------------------------------------------------------------
    def card_blocked(self, status: ReaderStatus | None = None) -> bool:
        """Whether the card in the reader is known to be blocked (a simulated card says so
        itself; a real one is known from its last VERIFY while it stays in)."""
        status = status or self._backend.reader_state()
        if not status.card_in_reader:
            return False
        told = getattr(self._backend, "card_blocked", None)
        if told is not None:
            return bool(told)
        return self._blocked_insertion == status.insertion

    def view(self) -> CardView:
        status = self._backend.reader_state()
        gate = self._gate(self._session, status, self._clock())
        s = self._session  # after the gate, which may have noted the expiry
        if self.card_blocked(status) and gate is not GateState.OPEN:
            return CardView(
                state=CardState.BLOCKED,
                message="Ask your Registration Authority to unblock it",
                simulated=self.simulated,
                user_name=s.user.name if s is not None else None,
            )
        if s is None:
            state = _reader_card_state(status)
            return CardView(
                state=state,
                message=self._view_message(state, gate, s, status),
                simulated=self.simulated,
            )
        state = _session_card_state(gate, status)
        return CardView(
            state=state,
            message=self._view_message(state, gate, s, status),
            simulated=self.simulated,
            user_name=s.user.name,
            role_name=role_label(s.role) if s.role else None,
            has_b0062=holds(s.role, UPLOAD_ACTIVITY) and not s.ended,
            time_left=whole_minutes(self.time_left()),
            needs_role_choice=gate is GateState.NO_ROLE,
        )

    def _view_message(
        self, state: CardState, gate: GateState, s: _Session | None, status: ReaderStatus
    ) -> str:
        """What to do next, worded to follow the state's own label."""
        if state is CardState.LOGGED_IN:
            assert s is not None
            return self._reason(gate, s, status) or self._open_message(s)
        if state is CardState.INSERTED:
            if s is None or s.ended:
                return "Enter the passcode to log in"
            return f"Enter the passcode to unlock the session of {s.user.name}"
        if state is CardState.LOCKED:
            return "Reinsert the same card and enter the passcode to unlock it"
        if state in (CardState.EXPIRED, CardState.ENDED):
            return self._reason(gate, s, status)
        return status.message

    def _open_message(self, s: _Session) -> str:
        left = self.time_left() or timedelta(0)
        minutes = int(left.total_seconds()) // 60
        role = role_label(s.role) if s.role else "no role"
        return f"Logged in as {s.user.name}, {role}: {minutes // 60}h {minutes % 60:02d}m left"


def _same_card(s: _Session, identity: CardIdentity) -> bool:
    return (s.card.serial, s.card.sds_user_id) == (identity.serial, identity.sds_user_id)


def _reader_card_state(status: ReaderStatus) -> CardState:
    return {
        ReaderState.STARTING: CardState.NO_CARD,
        ReaderState.SERVICE_DOWN: CardState.NO_SERVICE,
        ReaderState.NO_READER: CardState.NO_READER,
        ReaderState.NO_CARD: CardState.NO_CARD,
        ReaderState.NO_APPLICATION: CardState.WRONG_CARD,
        ReaderState.CARD_PRESENT: CardState.INSERTED,
    }[status.state]


def _session_card_state(state: GateState, status: ReaderStatus) -> CardState:
    if state is GateState.LOCKED:
        # Locked: what the reader shows says what to do (reinsert, or type the passcode).
        if status.state in (ReaderState.NO_CARD, ReaderState.STARTING):
            return CardState.LOCKED
        return _reader_card_state(status)
    return {
        GateState.ENDED: CardState.ENDED,
        GateState.EXPIRED: CardState.EXPIRED,
    }.get(state, CardState.LOGGED_IN)
