"""Small views that render the live state; none of them does I/O."""

from __future__ import annotations

from textual.widgets import Static


def set_text(widget: Static, text: str, *, layout: bool = True) -> None:
    """Update `widget` only when its text changes: ten polls a second must not mean ten
    repaints (and layouts) a second. layout=False where the widget's size is fixed."""
    if widget.content != text:
        widget.update(text, layout=layout)
