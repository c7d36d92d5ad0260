"""An option list whose Up and Down stop at its ends, as a list normally does: Textual's wraps
round, so Down on the last upload jumped to the first (issue 22)."""

from __future__ import annotations

from textual.widgets import OptionList


class EndStopOptionList(OptionList):
    def action_cursor_down(self) -> None:
        self._step(1)

    def action_cursor_up(self) -> None:
        self._step(-1)

    def _step(self, direction: int) -> None:
        if self.highlighted is None:
            if direction > 0:
                self.action_first()
            else:
                self.action_last()
            return
        index = self.highlighted + direction
        while 0 <= index < self.option_count:
            if not self.get_option_at_index(index).disabled:
                self.highlighted = index
                return
            index += direction
        # At the end already: the highlight stays where it is.
