"""The live state the screens render, and the one place it is published from.

The App polls the services (about ten times a second) and publishes a LiveState only when it
changed; widgets subscribe and redraw. Nothing is pushed per patient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from weakref import WeakKeyDictionary

from textual.dom import DOMNode
from textual.signal import Signal

from scrtui.domain.progress import ACTIVE_STATUSES, RunStatus, Snapshot
from scrtui.services import CardState, CardView, UploadRequest


@dataclass(frozen=True)
class LiveState:
    snapshot: Snapshot
    card: CardView
    worker_running: bool = False  # the App's upload worker has not returned yet
    request: UploadRequest | None = None  # the upload started from this session, if any
    # The clock to the minute (a scheduled start counts down): a new state once a minute.
    now: datetime | None = None

    @property
    def active(self) -> bool:
        """An upload is under way: started here and not finished, or the engine says so."""
        return self.worker_running or self.snapshot.status in ACTIVE_STATUSES

    @property
    def card_missing_mid_run(self) -> bool:
        return self.active and self.card.state in (
            CardState.LOCKED,
            CardState.NO_CARD,
            CardState.NO_READER,
            CardState.NO_SERVICE,
            CardState.INSERTED,
            CardState.BLOCKED,
        )

    @property
    def status(self) -> RunStatus:
        return self.snapshot.status


INITIAL_CARD = CardView(state=CardState.NO_CARD)


Render = Callable[[LiveState], None]


class LiveHub:
    """Holds the latest LiveState and tells subscribers when it changes.

    Only widgets on a screen the user can see are redrawn; the others catch up when their
    screen comes back (refresh_screen), so a run's progress costs one screen's worth of work.
    """

    def __init__(self, owner: DOMNode) -> None:
        self.state = LiveState(snapshot=Snapshot(), card=INITIAL_CARD)
        self.signal: Signal[LiveState] = Signal(owner, "live-state")
        self._renders: WeakKeyDictionary[DOMNode, Render] = WeakKeyDictionary()

    def publish(self, state: LiveState) -> bool:
        """Store and broadcast `state`; False (and nothing sent) when it has not changed."""
        if state == self.state:
            return False
        self.state = state
        self.signal.publish(state)
        return True

    def follow(self, node: DOMNode, render: Render) -> None:
        self._renders[node] = render

        def deliver(state: LiveState) -> None:
            if node.screen.is_current:
                render(state)

        self.signal.subscribe(node, deliver, immediate=True)
        render(self.state)

    def refresh_screen(self, screen: DOMNode) -> None:
        """Bring a screen that was hidden up to date (call when it resumes)."""
        for node, render in list(self._renders.items()):
            if node.is_attached and node.screen is screen:
                render(self.state)


def follow(node: DOMNode, render: Render) -> None:
    """Render the current state now and again whenever it changes (call from on_mount).

    Outside a ScrApp (a widget tested on its own) there is no hub, and nothing happens.
    """
    hub = getattr(node.app, "live", None)
    if isinstance(hub, LiveHub):
        hub.follow(node, render)


def current(node: DOMNode) -> LiveState | None:
    hub = getattr(node.app, "live", None)
    return hub.state if isinstance(hub, LiveHub) else None
