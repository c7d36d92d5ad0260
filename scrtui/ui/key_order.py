"""Keys apply in the order they were typed, however fast they come.

Textual hands a key to the focused widget's queue; a key the widget does not take itself
(Backspace, Delete, the arrows, Tab, Enter...) then bubbles up, queue by queue, to the App,
which only then runs its binding. When keys arrive in one burst (as SSH delivers them under
lag), the keys after it are handled first: `11:58`, Backspace, 9 gives `11:5` (the 9 is refused
at five characters, then the Backspace deletes the 8), and Tab then 08:00 types 08:00 into the
field being left (Textual issue #6605). A lost passcode digit costs one of the card's three
tries.

So the App handles each typed key to the end, in its own queue, before it looks at the next:
a character for a text field is typed into it there, and any other key runs its binding there
(the same bindings in the same order as after bubbling: the focused widget's first, then up to
the screen and the App). Keys for other widgets (a list's letters) go the usual way.
"""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import App

from .widgets.ordered_input import OrderedInput


async def handled_in_order(app: App[Any], event: events.Event) -> bool:
    """Handle a typed key now; True if it is done (nothing else may handle it)."""
    if not isinstance(event, events.Key) or event.is_forwarded:
        return False
    if await app._check_bindings(event.key, priority=True):  # noqa: SLF001
        return True
    focused = app.focused
    if isinstance(focused, OrderedInput):
        focused.settle_focus()
    if event.is_printable:
        if isinstance(focused, OrderedInput) and event.character is not None:
            focused.type_character(event.character)
            return True
        return False
    return bool(await app._check_bindings(event.key))  # noqa: SLF001
