"""The app's start-up refusal: a damaged database, unreadable settings or an unsafe data
directory is shown as a message screen in the terminal the administrator opened, rather than
a traceback or a screen that vanishes before it can be read."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

from scrtui.resources import stylesheet_path

from .modals.message import MessageModal

EXIT_REFUSED = 2  # as the command line's refusals (scrtui/cli/common.py)
TITLE = "scrtui cannot open this practice"


class ProblemMessage(MessageModal, inherit_bindings=False):
    """MessageModal without F1 (there is no help behind it): OK, Escape or F10 end the app."""

    BINDINGS = [
        Binding("escape", "close", "OK"),
        Binding("f10", "app.quit", "Quit", key_display="F10"),
    ]


class ProblemApp(App[None]):
    CSS_PATH = stylesheet_path()
    TITLE = "SCR Bulk Uploads"

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def on_mount(self) -> None:
        self.push_screen(ProblemMessage(TITLE, self.text, kind="error"), self._acknowledged)

    def _acknowledged(self, _result: None) -> None:
        self.exit(return_code=EXIT_REFUSED)

    def action_quit(self) -> None:  # type: ignore[override]
        self.exit(return_code=EXIT_REFUSED)


def show_problem(text: str) -> None:
    """Show `text` full screen until the administrator presses OK (Enter), Escape or F10."""
    ProblemApp(text).run(mouse=False)
