"""Questions whose buttons are not plain Yes/No: Vision's Enable GP Summary prompts (Continue,
then Confirm) and the group name in use question (Yes, Add to it, No)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

from .. import text as t
from .base import GLOBAL_KEYS, Dialog


class _Prompt(Dialog[bool]):
    """A question with one button that goes on (y) and Cancel (n, Escape); dismisses a bool."""

    ACCEPT_LABEL = "OK"

    def __init__(self, title: str, question: str, detail: str = "") -> None:
        super().__init__(title, classes="confirm")
        self.question = question
        self.detail = detail

    def compose_body(self) -> ComposeResult:
        yield Static(self.question, id="question", markup=False)
        if self.detail:
            yield Static(self.detail, id="detail", markup=False)
        with Horizontal(classes="buttons"):
            yield Button(self.ACCEPT_LABEL, id="accept", variant="primary", compact=True)
            yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#accept", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.close(event.button.id == "accept")

    def action_answer(self, yes: bool) -> None:
        self.close(yes)


class ContinueModal(_Prompt):
    """Enable GP Summary, first prompt (docs/domain.md §1.10): Continue or Cancel."""

    ACCEPT_LABEL = "Continue"
    BINDINGS = [
        Binding("y", "answer(True)", "Continue"),
        Binding("n", "answer(False)", "Cancel"),
        Binding("escape", "answer(False)", "Cancel", show=False),
        *GLOBAL_KEYS,
    ]


class ConfirmOnModal(_Prompt):
    """Enable GP Summary, second prompt: Confirm or Cancel."""

    ACCEPT_LABEL = "Confirm"
    BINDINGS = [
        Binding("y", "answer(True)", "Confirm"),
        Binding("n", "answer(False)", "Cancel"),
        Binding("escape", "answer(False)", "Cancel", show=False),
        *GLOBAL_KEYS,
    ]


class OverwriteModal(Dialog[str | None]):
    """The group name is taken: "replace" (Yes), "add" (to its members) or None (No)."""

    AUTO_FOCUS = "#no"
    BINDINGS = [
        Binding("y", "answer('replace')", "Yes, overwrite"),
        Binding("a", "answer('add')", "Add to it"),
        Binding("n", "answer('')", "No"),
        Binding("escape", "answer('')", "No", show=False),
        *GLOBAL_KEYS,
    ]

    def __init__(self, name: str, *, can_add: bool) -> None:
        super().__init__("Group name in use", classes="confirm")
        self.group_name = name
        self.can_add = can_add

    def compose_body(self) -> ComposeResult:
        yield Static(t.OVERWRITE_QUESTION, id="question", markup=False)
        detail = f'Yes replaces the members of "{self.group_name}".'
        if self.can_add:
            detail += " Add to it keeps its members and adds the marked patients."
        yield Static(detail, id="detail", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("Yes", id="replace", variant="warning", compact=True)
            if self.can_add:
                yield Button("Add to it", id="add", compact=True)
            yield Button("No", id="no", compact=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "answer" and parameters == ("add",):
            return self.can_add
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_answer(event.button.id if event.button.id in ("replace", "add") else "")

    def action_answer(self, how: str) -> None:
        if how == "add" and not self.can_add:
            return
        self.close(how or None)
