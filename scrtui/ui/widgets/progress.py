"""Patients checked out of the run's total: a determinate bar plus the count in words.

On the Linux console (TERM=linux) the font may lack the box-drawing glyphs Textual's bar uses,
so the app swaps in an ASCII bar ("#" done, "-" to do).
"""

from __future__ import annotations

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.renderables.bar import Bar as BarRenderable
from textual.widgets import ProgressBar, Static

from . import set_text


class WholeCellBar(BarRenderable):
    """Textual's bar, drawn in whole cells: the half-cell end glyph depended on whether the
    width was known when the value arrived, so the same progress could draw two ways."""

    DONE = "━"
    TO_DO = "━"

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = self.width or options.max_width
        done = max(0, min(width, int(self.highlight_range[1])))
        text = Text(end="")
        text.append(self.DONE * done, style=console.get_style(self.highlight_style))
        text.append(self.TO_DO * (width - done), style=console.get_style(self.background_style))
        yield text


class AsciiBar(WholeCellBar):
    """For the Linux console font: "#" done, "-" to do (colour alone may not tell them apart)."""

    DONE = "#"
    TO_DO = "-"


class CellProgressBar(ProgressBar):
    BAR_RENDERABLE = WholeCellBar


class AsciiProgressBar(ProgressBar):
    BAR_RENDERABLE = AsciiBar


class UploadProgress(Horizontal):
    """ProgressBar with a fixed total (the run's patient count) and "n of N checked"."""

    def __init__(self, *, ascii_only: bool = False) -> None:
        super().__init__(id="upload-progress")
        self._ascii_only = ascii_only
        self._shown: tuple[int, int] | None = None

    def compose(self) -> ComposeResult:
        bar_class = AsciiProgressBar if self._ascii_only else CellProgressBar
        # Our ETA comes from the engine's rolling rate, so the widget's own estimate is hidden.
        yield bar_class(total=1, show_eta=False, id="progress-bar")
        yield Static("", id="progress-count", markup=False)

    def show(self, checked: int, total: int) -> None:
        if (checked, total) == self._shown:
            return
        self._shown = (checked, total)
        bar = self.query_one("#progress-bar", ProgressBar)
        # total 0 would make the bar indeterminate (an animation): show an empty, fixed bar.
        bar.update(total=max(total, 1), progress=min(checked, max(total, 1)) if total else 0)
        count = self.query_one("#progress-count", Static)
        set_text(count, f"{checked:,} of {total:,} checked", layout=False)  # fixed width
