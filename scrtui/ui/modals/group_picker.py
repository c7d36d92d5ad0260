"""Group Name: all patients, or one patient group, found by typing part of its name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from scrtui.services import GroupInfo

from ..widgets.ordered_input import OrderedInput
from .base import GLOBAL_KEYS, Dialog

ALL_PATIENTS = "All patients"
_ALL_ID = "\0all"  # cannot clash with a group name


@dataclass(frozen=True)
class GroupPick:
    """The user's choice; name None means all patients (distinct from cancelling)."""

    name: str | None


PROMPT_WIDTH = 64  # one line inside the 72-column dialog (80 columns), scrollbar included


def group_prompt(group: GroupInfo, width: int = PROMPT_WIDTH) -> str:
    """One line: name, member count, description (cut to fit with "...", so the list never
    wraps; "..." rather than an ellipsis, which the Linux console's font lacks)."""
    members = f"{group.members:,} patient" + ("" if group.members == 1 else "s")
    text = f"{group.name:<10}  {members:>15}  {group.description}"
    return text if len(text) <= width else text[: width - 3] + "..."


class GroupList(OptionList):
    """The picker's list; says when its width changes, so the lines are cut to the width it
    has (the dialog grows with the terminal: a full description at 120 columns)."""

    class Resized(Message):
        pass

    def on_resize(self, event: events.Resize) -> None:
        self.post_message(self.Resized())

    def line_width(self) -> int:
        # Room for the scrollbar is kept even when there is none, so filtering (which may
        # hide the scrollbar) never changes where a line is cut.
        return max(self.content_region.width - self.styles.scrollbar_size_vertical, 20)


def matches(group: GroupInfo, text: str) -> bool:
    needle = text.strip().casefold()
    return not needle or needle in group.name.casefold() or needle in group.description.casefold()


class GroupPickerModal(Dialog[GroupPick | None]):
    AUTO_FOCUS = "#group-filter"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("down", "into_list", "List", show=False),
        *GLOBAL_KEYS,
    ]

    def __init__(self, groups: Sequence[GroupInfo], current: str | None = None) -> None:
        super().__init__("Group Name", classes="group-picker")
        self._groups = list(groups)
        self._current = current
        self._width = PROMPT_WIDTH  # until the list is laid out

    def compose_body(self) -> ComposeResult:
        yield Static(
            "Type to filter, Down/Up to move, Enter to choose.", classes="hint", markup=False
        )
        yield OrderedInput(
            placeholder="filter by name or description", id="group-filter", compact=True
        )
        yield GroupList(id="group-list", markup=False)
        yield Static("", id="group-count", classes="hint", markup=False)

    def on_mount(self) -> None:
        self._fill("")

    def on_group_list_resized(self, event: GroupList.Resized) -> None:
        event.stop()
        width = self.query_one("#group-list", GroupList).line_width()
        if width != self._width:
            self._width = width
            self._fill(self.query_one("#group-filter", Input).value)

    def _fill(self, text: str) -> None:
        shown = [g for g in self._groups if matches(g, text)]
        options = [Option(ALL_PATIENTS, id=_ALL_ID)] if not text.strip() else []
        options += [Option(group_prompt(g, self._width), id=g.name) for g in shown]
        listing = self.query_one("#group-list", OptionList)
        listing.set_options(options)
        if options:
            wanted = self._current if self._current and not text.strip() else None
            index = next((i for i, o in enumerate(options) if o.id == wanted), 0)
            listing.highlighted = index
        self.query_one("#group-count", Static).update(
            f"{len(shown)} of {len(self._groups)} groups"
            if text.strip()
            else f"{len(self._groups)} groups"
        )

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._fill(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter in the filter takes the highlighted entry, so "type, Enter" is enough.
        event.stop()
        listing = self.query_one("#group-list", OptionList)
        if listing.highlighted is not None:
            self._choose(listing.get_option_at_index(listing.highlighted).id)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option_id)

    def _choose(self, option_id: str | None) -> None:
        if option_id is None:
            return
        self.close(GroupPick(None if option_id == _ALL_ID else option_id))

    def action_into_list(self) -> None:
        listing = self.query_one("#group-list", OptionList)
        if self.focused is not listing:
            listing.focus()
        else:
            listing.action_cursor_down()

    def action_cancel(self) -> None:
        self.close(None)
