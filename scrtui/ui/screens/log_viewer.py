"""The run log (logs/initial-upload.log): its last lines, following new ones as they are
written, whether by this session's upload or by `scrtui upload` in another terminal.

The file is read (its tail only) off the UI loop, every LOG_FOLLOW_SECONDS and only while this
screen is the one shown; new lines are appended, so scrolling back is not disturbed.
"""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import RichLog, Static

from scrtui.services import ServiceError

from .. import text as t
from ..host import host
from ..widgets import set_text
from .tool import ToolScreen

TAIL_LINES = 500
KEEP_LINES = 2_000  # log entries kept on screen (each may wrap onto several screen lines)


def new_lines(old: list[str], new: list[str]) -> list[str] | None:
    """The lines of `new` after the end of `old` (the previous tail); None when they do not
    overlap (the file was replaced, or more than a tail's worth was written between reads)."""
    if not old:
        return new
    if new == old:
        return []
    last = old[-1]
    for index in range(len(new) - 1, -1, -1):
        if new[index] != last:
            continue
        overlap = new[: index + 1]
        if old[-len(overlap) :] == overlap:
            return new[index + 1 :]
    return None


class LogScreen(ToolScreen):
    HELP_SECTION = "Upload log"
    AUTO_FOCUS = "#upload-log"
    BINDINGS = [
        Binding("f", "follow", "Follow"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._lines: list[str] = []
        self._shown: deque[str] = deque(maxlen=KEEP_LINES)
        self._timer: Timer | None = None
        self._reading = False
        self.follow = True

    def compose_body(self) -> ComposeResult:
        yield Static("Upload log", classes="tool-title")
        yield Static("", id="log-path", classes="hint", markup=False)
        # Wrapped, so a long line (a Spine error, a settings change) reads in 80 columns.
        # No max_lines: RichLog counts wrapped screen lines, and trimming those would cut the
        # first entry in half (Home then stopped a wrapped line short of it); entries are
        # trimmed whole in show() instead.
        yield RichLog(
            id="upload-log",
            auto_scroll=True,
            wrap=True,
            markup=False,
            highlight=False,
            min_width=20,  # the default (78) is wider than the log's own width at 80 columns
        )
        yield Static("", id="log-info", markup=False)

    def on_mount(self) -> None:
        services = host(self).services
        set_text(self.query_one("#log-path", Static), services.upload_log_path())
        self._timer = self.set_interval(t.LOG_FOLLOW_SECONDS, self._poll)
        self._poll()
        self._render_info()

    def on_screen_suspend(self) -> None:
        if self._timer is not None:
            self._timer.pause()

    def on_screen_resume(self) -> None:
        if self._timer is not None:
            self._timer.resume()
            self._poll()

    def _poll(self) -> None:
        if self._reading or not self.is_current:
            return
        self._reading = True
        self._read()

    @work(exclusive=True, group="log-tail", exit_on_error=False)
    async def _read(self) -> None:
        try:
            lines = await host(self).services.upload_log_tail(TAIL_LINES)
        except ServiceError as exc:
            set_text(self.query_one("#log-info", Static), f"Cannot read the log: {exc}")
            return
        finally:
            self._reading = False
        self.show(lines)

    def show(self, lines: list[str]) -> None:
        log = self.query_one("#upload-log", RichLog)
        added = new_lines(self._lines, lines)
        self._lines = lines
        if added is None or len(self._shown) + len(added) > KEEP_LINES:
            # Start again from whole entries: the oldest go, never half of one; room is left
            # for a tail's worth, so this rewrite happens once per TAIL_LINES new entries.
            kept = list(self._shown) if added is not None else []
            self._shown.clear()
            log.clear()
            added = [*kept, *(lines if added is None else added)][-(KEEP_LINES - TAIL_LINES) :]
        self._shown.extend(added)
        for line in added:
            log.write(Text(line), scroll_end=self.follow)
        self._render_info()

    def _render_info(self) -> None:
        shown = len(self._lines)
        if not shown:
            text = "The log is empty: it fills as uploads run and settings or groups change."
        else:
            text = f"Last {shown:,} lines; "
            text += (
                "following new lines (f stops)"
                if self.follow
                else "not following: f follows new lines again"
            )
        set_text(self.query_one("#log-info", Static), text)

    def action_follow(self) -> None:
        self.follow = not self.follow
        log = self.query_one("#upload-log", RichLog)
        log.auto_scroll = self.follow
        if self.follow:
            log.scroll_end(animate=False)
        self._render_info()

    def action_back(self) -> None:
        self.app.pop_screen()
