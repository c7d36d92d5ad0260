"""Yes/No questions: the option confirmations, Stop, and leaving the application."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from .base import GLOBAL_KEYS, Dialog


class ConfirmModal(Dialog[bool]):
    """Dismisses True for Yes; False for No or Escape."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No", show=False),
        *GLOBAL_KEYS,
    ]

    # Focus starts on the button marked "default": No where Yes would interrupt something
    # (stop, exit), Yes otherwise.
    AUTO_FOCUS = ".default"

    def __init__(
        self,
        title: str,
        question: str,
        detail: str = "",
        *,
        default_yes: bool = True,
        warning: str = "",
    ) -> None:
        """warning: read before the question (e.g. Consent Migration first); with one, No is
        the default, so Enter does not pass it by."""
        super().__init__(title, classes="confirm")
        self.question = question
        self.detail = detail
        self.warning = warning
        self.default_yes = default_yes and not warning

    def compose_body(self) -> ComposeResult:
        if self.warning:
            yield Static(self.warning, id="warning", markup=False)
        yield Static(self.question, id="question", markup=False)
        if self.detail:
            yield Static(self.detail, id="detail", markup=False)
        with Horizontal(classes="buttons"):
            yield Button(
                "Yes", id="yes", variant="primary", compact=True, classes=self._default(True)
            )
            yield Button("No", id="no", compact=True, classes=self._default(False))

    def _default(self, yes: bool) -> str:
        return "default" if yes == self.default_yes else ""

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.close(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.close(yes)
