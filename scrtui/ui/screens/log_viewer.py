"""A run log: its last lines, following new ones as they are written, whether by this
session's upload or by `scrtui upload` in another terminal.

Each bulk upload has its own (logs/initial-upload.log, logs/bulk-update.log...; settings and
patient group changes are in logs/practice.log): the screen opens on the upload chosen on the
Bulk Transmission screen, and ctrl+t goes to the next log.

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

from scrtui.domain.uploads import INITIAL, KINDS, UploadId
from scrtui.services import ServiceError

from .. import text as t
from ..host import host
from ..widgets import set_text
from .tool import ToolScreen

TAIL_LINES = 500
KEEP_LINES = 2_000  # log entries kept on screen (each may wrap onto several screen lines)
# The logs ctrl+t goes through: each upload's, then the practice log (None).
LOGS: tuple[UploadId | None, ...] = (*KINDS, None)
PRACTICE_LOG_TITLE = "Practice changes (settings, patient groups)"


def log_title(upload: UploadId | None) -> str:
    return f"Upload log - {KINDS[upload].label if upload else PRACTICE_LOG_TITLE}"


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
        Binding("ctrl+t", "next_log", "Next log", key_display="^T"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, upload: UploadId | None = None) -> None:
        """`upload` None: the one chosen on the Bulk Transmission screen."""
        super().__init__()
        self.upload: UploadId | None = upload
        self._upload_given = upload is not None
        self._lines: list[str] = []
        self._shown: deque[str] = deque(maxlen=KEEP_LINES)
        self._timer: Timer | None = None
        self._reading = False
        self.follow = True

    def compose_body(self) -> ComposeResult:
        if not self._upload_given:
            self.upload = host(self).chosen_upload
        yield Static(log_title(self.upload), id="log-title", classes="tool-title", markup=False)
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
        self._show_path()
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
            upload = self.upload
            lines = await host(self).services.upload_log_tail(TAIL_LINES, upload)
            if upload != self.upload:  # ^T went to another log meanwhile
                return
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
            text = empty_log_text(self.upload)
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

    def _show_path(self) -> None:
        set_text(
            self.query_one("#log-path", Static), host(self).services.upload_log_path(self.upload)
        )

    def action_next_log(self) -> None:
        self.upload = LOGS[(LOGS.index(self.upload) + 1) % len(LOGS)]
        set_text(self.query_one("#log-title", Static), log_title(self.upload))
        self._show_path()
        self._lines = []
        self._shown.clear()
        self.query_one("#upload-log", RichLog).clear()
        self._render_info()
        self._reading = False  # a read of the previous log is discarded when it returns
        self._poll()

    def action_back(self) -> None:
        self.app.pop_screen()


def empty_log_text(upload: UploadId | None) -> str:
    if upload is None:
        return "The log is empty: it fills as settings and patient groups change."
    if upload == INITIAL:
        return "The log is empty: it fills as the Initial Upload runs (^T: the other logs)."
    # Before each upload had its own log (issue 22), every upload's lines went to the Initial
    # Upload's, which an upgraded practice keeps.
    return "Empty until this upload runs; older runs are in the Initial Upload's log."
