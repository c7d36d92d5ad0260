"""An Input the App types into directly, so its keys keep their order (scrtui/ui/key_order.py)."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.widgets import Input
from textual.widgets.input import Selection


class OrderedInput(Input):
    """enter_moves_focus: Enter moves to the next field, as in a paper form (at once, rather
    than by posting Submitted, which a handler would act on only after the next keys)."""

    def __init__(
        self, value: str | None = None, *, enter_moves_focus: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(value, **kwargs)
        self.enter_moves_focus = enter_moves_focus
        self._focus_settled = False

    def settle_focus(self) -> None:
        """Before a key is typed here: what gaining the focus does (select the value, so typing
        replaces it), now, if the Focus event has not been handled yet (it is queued behind the
        keys of the burst that moved the focus here)."""
        if not self._focus_settled:
            self._focus_settled = True
            if self.select_on_focus:
                self.selection = Selection(0, len(self.value))

    def _on_focus(self, event: events.Focus) -> None:
        # Runs before Input's own handler: keys already typed here keep their result.
        if self._focus_settled and self.select_on_focus:
            self.select_on_focus = False
            self.call_later(setattr, self, "select_on_focus", True)
        self._focus_settled = True

    def _on_blur(self, event: events.Blur) -> None:
        self._focus_settled = False

    def type_character(self, character: str) -> None:
        """What Input does with a printable key: insert it, or replace the selection."""
        self._restart_blink()
        selection = self.selection
        if selection.is_empty:
            self.insert_text_at_cursor(character)
        else:
            self.replace(character, *selection)

    async def action_submit(self) -> None:
        if self.enter_moves_focus:
            self.screen.focus_next()
        else:
            await super().action_submit()
