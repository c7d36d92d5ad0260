"""The always-visible smartcard line: reader/card state, who is logged in, session time left."""

from __future__ import annotations

from textual.widgets import Static

from scrtui.services import CardView

from ..state import LiveState, follow
from ..text import card_level, card_text
from . import set_text

_LEVELS = ("-ok", "-attention", "-bad")


class CardStatus(Static):
    """Renders services.card_view() as published by the App; redraws only when it changes."""

    def __init__(self, *, id: str | None = "card-status") -> None:  # noqa: A002 - Textual's name
        super().__init__("", id=id, markup=False)
        self._shown: CardView | None = None

    def on_mount(self) -> None:
        follow(self, self._render_state)

    def _render_state(self, state: LiveState) -> None:
        self.show(state.card)

    def on_resize(self) -> None:
        if self._shown is not None:
            set_text(self, card_text(self._shown, self.content_size.width), layout=False)

    def show(self, view: CardView) -> None:
        if view == self._shown:
            return
        self._shown = view
        width = self.content_size.width or self.app.size.width - 2
        set_text(self, card_text(view, width), layout=False)
        level = card_level(view)
        for name in _LEVELS:
            self.set_class(name == level, name)
