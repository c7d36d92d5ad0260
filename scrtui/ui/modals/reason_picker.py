"""F11 in the SCR Reporter: Failed and Not Required counted per reason, and a choice of one
reason to narrow the list to (or none, to see the whole bucket again)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from scrtui.services import ReasonCount, ReasonFilter

from .. import text as t
from .base import GLOBAL_KEYS, Dialog

NO_FILTER = "Every reason: the whole bucket (no filter)"
_NO_FILTER_ID = "\0none"
LINE_WIDTH = 66  # one line inside the 72-column dialog at 80 columns, scrollbar included


class ReasonList(OptionList):
    """The reasons; its own Enter shows in the dialog's footer (OptionList's is hidden)."""

    BINDINGS = [Binding("enter", "select", "Filter", key_display="Enter")]


@dataclass(frozen=True)
class ReasonPick:
    """The user's choice; reason None clears the filter (distinct from cancelling)."""

    reason: ReasonFilter | None


def reason_prompt(row: ReasonCount, ascii_only: bool = False) -> str:
    """One line: bucket, patients, the reason (cut to the line, so the list never wraps)."""
    reason = t.reason_line(row.reason_code, row.reason_text) or "no reason recorded"
    text = f"{row.bucket.label:<12} {row.patients:>7,}  {reason}"
    return t.clip(text, LINE_WIDTH, ascii_only=ascii_only)


class ReasonPickerModal(Dialog[ReasonPick | None]):
    AUTO_FOCUS = "#reason-list"
    BINDINGS = [
        Binding("enter", "choose", "Filter", key_display="Enter"),
        Binding("escape", "cancel", "Cancel"),
        *GLOBAL_KEYS,
    ]

    def __init__(
        self,
        title: str,
        counts: Sequence[ReasonCount],
        current: ReasonFilter | None = None,
        *,
        ascii_only: bool = False,
    ) -> None:
        super().__init__(title, classes="reason-picker")
        self._counts = list(counts)
        self._current = current
        self._ascii = ascii_only

    @property
    def text(self) -> str:
        """The lines the list shows, one per reason (the counts by reason, as text)."""
        return "\n".join(reason_prompt(row, self._ascii) for row in self._counts)

    def compose_body(self) -> ComposeResult:
        if not self._counts:
            yield Static("No patient is Failed or Not Required.", markup=False)
            return
        yield Static(
            "Enter shows only the highlighted reason's patients (mark them, save them to a "
            "group, export them); the first line shows the whole bucket again.",
            classes="hint",
            markup=False,
        )
        options = [Option(NO_FILTER, id=_NO_FILTER_ID)]
        options += [
            Option(reason_prompt(row, self._ascii), id=str(index))
            for index, row in enumerate(self._counts)
        ]
        yield ReasonList(*options, id="reason-list", markup=False)

    def on_mount(self) -> None:
        if not self._counts:
            return
        listing = self.query_one("#reason-list", OptionList)
        listing.highlighted = next(
            (
                index + 1
                for index, row in enumerate(self._counts)
                if self._current is not None
                and (row.bucket, row.reason_code) == (self._current.bucket, self._current.code)
            ),
            0,
        )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option_id)

    def action_choose(self) -> None:
        if not self._counts:
            self.close(None)
            return
        listing = self.query_one("#reason-list", OptionList)
        if listing.highlighted is not None:
            self._choose(listing.get_option_at_index(listing.highlighted).id)

    def _choose(self, option_id: str | None) -> None:
        if option_id is None:
            return
        if option_id == _NO_FILTER_ID:
            self.close(ReasonPick(None))
            return
        row = self._counts[int(option_id)]
        self.close(ReasonPick(ReasonFilter(row.bucket, row.reason_code, row.reason_text)))

    def action_cancel(self) -> None:
        self.close(None)
