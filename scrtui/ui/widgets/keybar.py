"""A footer that always fits one line: every key the screen offers, its words shortened
(SHORT) only when the full ones do not fit, and never a key cut in half.

Textual's Footer cuts whatever does not fit at the right edge ("F10 Qu" at 80 columns with a
card locked). KeyBar lists the same bindings, in the same order and style (key in bold, greyed
when disabled); tests/ui/test_walkthrough.py checks every screen at 80 columns.
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


# Shorter words for a footer that would not fit at full length (the F1 help has the long ones).
SHORT = {
    "Save to group": "Group",
    "Export CSV": "CSV",
    "Mark all": "All",
    "Unmark all": "None",
    "Stop & Close": "Close",
    "View members": "View",
    "New from file": "New",
    "GP Summary on/off": "GP Summary",
    "Unblock card": "Unblock",
    "Log in": "Login",
    "Summary": "Sum",
    "Search": "Find",
    "Reload": "Load",
    "Cancel": "Esc",
    "Bucket": "View",
}
BARE_KEYS = frozenset({"F1", "F3", "F4", "F10", "esc"})


def line_width(items: list[tuple[str, str, bool]]) -> int:
    """Each item "key description" and one space after it."""
    return sum(len(key) + (len(text) + 1 if text else 0) + 1 for key, text, _on in items)


def fit_items(items: list[tuple[str, str, bool]], width: int) -> list[tuple[str, str, bool]]:
    """The items as they fit one line: full words, else the SHORT ones, else keys alone for
    the keys every screen has (BARE_KEYS), whose meaning the help and other screens give."""
    if line_width(items) <= width:
        return items
    short = [(key, SHORT.get(text, text), on) for key, text, on in items]
    if line_width(short) <= width:
        return short
    return [(key, "" if key in BARE_KEYS else text, on) for key, text, on in short]


class KeyBar(Widget):
    COMPONENT_CLASSES = {"keybar--key", "keybar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
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
        for key, description, enabled in fit_items(items, width):
            start = len(text)
            text.append(key, key_style)
            if description:
                text.append(" " + description, text_style)
            if not enabled:
                text.stylize("dim", start)
            text.append(" ")
        self._text = text
        self.refresh()

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return 1

    def render(self) -> Text:
        return self._text

    @property
    def plain(self) -> str:
        """The keys as plain text (for tests)."""
        return self._text.plain
