"""The top two lines of every screen: what this is and for which practice, then the card."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Static

from ..host import host
from ..state import LiveState, follow
from . import set_text
from .card_status import CardStatus

SIMULATED = "simulated card (demo)"


class CardKind(Static):
    """Says "simulated card (demo)" when the card is not a real one; blank otherwise."""

    def __init__(self) -> None:
        super().__init__("", id="card-kind", markup=False)

    def on_mount(self) -> None:
        follow(self, self._render_state)

    def _render_state(self, state: LiveState) -> None:
        set_text(self, SIMULATED if state.card.simulated else "")


class AppHeader(Vertical):
    def __init__(self, title: str) -> None:
        super().__init__(id="app-header")
        self._title = title

    def compose(self) -> ComposeResult:
        settings = host(self).services.settings
        practice = f"{settings.practice_name} ({settings.ods_code})"
        with Horizontal(id="title-line"):
            yield Static(f"{self._title} - {practice}", id="app-title", markup=False)
            yield CardKind()
        yield CardStatus()
