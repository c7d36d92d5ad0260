"""What every dialog shares: a bordered box in the middle, a footer of its own keys, and
arrow keys that move between its buttons."""

from __future__ import annotations

from typing import TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.worker import Worker

from ..widgets.keybar import KeyBar
from ..worker_errors import on_failed_worker

T = TypeVar("T")

# The App's F1 and F10 are priority keys, so they work over a dialog, but a modal's footer only
# lists the modal's own bindings: each dialog repeats them (last, after its own keys).
GLOBAL_KEYS = [
    Binding("f1", "app.help", "Help", key_display="F1"),
    Binding("f10", "app.quit", "Quit", key_display="F10"),
]


class Dialog(ModalScreen[T]):
    """Subclasses implement compose_body(); the App's priority keys (F1, F10) still work."""

    HELP_SECTION: str | None = "Dialogs"  # the F1 help opens here (scrtui/ui/keys.py)

    BINDINGS = [
        Binding("left", "app.focus_previous", "Previous", show=False),
        Binding("right", "app.focus_next", "Next", show=False),
    ]

    def __init__(self, title: str, *, classes: str = "") -> None:
        super().__init__(classes=classes)
        self.dialog_title = title
        self._result_sent = False

    def close(self, result: T | None = None) -> bool:
        """Dismiss with `result` once, and only while this dialog is the top screen.

        Screen.dismiss pops whatever screen is on top, so a second dismiss (or one from
        outside while another dialog covers this one) would close the wrong screen.
        """
        if self._result_sent or not self.is_attached or self.app.screen is not self:
            return False
        self._result_sent = True
        self.dismiss(result)
        return True

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog") as box:
            box.border_title = self.dialog_title
            yield from self.compose_body()
        # The screen below keeps its own footer; a modal shows the keys that work in it.
        yield KeyBar()

    def compose_body(self) -> ComposeResult:
        raise NotImplementedError

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        on_failed_worker(self.app, event)  # a ServiceError was caught where it was awaited
