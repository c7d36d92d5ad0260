"""A footer that wraps onto a second line instead of cutting keys off at 80 columns.

Textual's Footer is one line: a screen with many keys (the SCR Reporter) would lose the last
ones off the right edge. KeyBar lists the same bindings, in the same order and style (key in
bold, greyed when disabled), and wraps between keys, never inside one.
"""

from __future__ import annotations

from rich.text import Text
from textual.events import Resize
from textual.screen import Screen
from textual.widget import Widget


def key_items(screen: Screen[object]) -> list[tuple[str, str, bool]]:
    """(key as shown, description, enabled) of the bindings the footer would show."""
    items: list[tuple[str, str, bool]] = []
    seen: set[str] = set()
    for _node, binding, enabled, _tooltip in screen.active_bindings.values():
        if not binding.show or binding.action in seen:
            continue
        seen.add(binding.action)
        items.append((screen.app.get_key_display(binding), binding.description, enabled))
    return items


def wrap_items(items: list[tuple[str, str, bool]], width: int) -> list[list[int]]:
    """Indexes of the items on each line, each item "key description" plus one space."""
    lines: list[list[int]] = [[]]
    used = 0
    for index, (key, description, _enabled) in enumerate(items):
        size = len(key) + (len(description) + 1 if description else 0) + 1
        if lines[-1] and used + size > width:
            lines.append([])
            used = 0
        lines[-1].append(index)
        used += size
    return lines


class KeyBar(Widget):
    COMPONENT_CLASSES = {"keybar--key", "keybar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: auto;
        background: $footer-background;
        color: $footer-foreground;
        .keybar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .keybar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__(id="key-bar")
        self._text = Text()
        self._lines = 1

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._rebuild()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._rebuild)

    def on_resize(self, event: Resize) -> None:
        self._rebuild()

    def _rebuild(self) -> None:
        if not self.is_attached:
            return
        items = key_items(self.screen)
        width = self.size.width or self.app.size.width
        key_style = self.get_component_rich_style("keybar--key")
        text_style = self.get_component_rich_style("keybar--description")
        text = Text(no_wrap=True, overflow="crop")
        lines = wrap_items(items, width)
        for number, line in enumerate(lines):
            if number:
                text.append("\n")
            for index in line:
                key, description, enabled = items[index]
                start = len(text)
                text.append(key, key_style)
                if description:
                    text.append(" " + description, text_style)
                if not enabled:
                    text.stylize("dim", start)
                text.append(" ")
        changed_height = len(lines) != self._lines
        self._lines = len(lines)
        self._text = text
        self.refresh(layout=changed_height)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return self._lines

    def render(self) -> Text:
        return self._text

    @property
    def plain(self) -> str:
        """The keys as plain text (for tests)."""
        return self._text.plain
