"""Save a patient group: its name (up to 10 characters), description (up to 56) and, for a group
made from a file, the file of NHS numbers.

A taken name asks Vision's question (overwrite, or add to it when the members come from the
SCR Reporter's marks). Anything the services refuse (a system group, a bad NHS number in the
file: all or nothing, every problem listed) is shown here, and the form stays open to fix it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Static

from scrtui.domain.groups import DESCRIPTION_MAX, NAME_MAX
from scrtui.services import GroupInfo, ServiceError

from .. import text as t
from ..widgets.ordered_input import OrderedInput
from .base import GLOBAL_KEYS, Dialog
from .choices import OverwriteModal

# The services' own async calls (off the UI loop: scrtui/wiring.py in_thread).
Exists = Callable[[str], Awaitable[bool]]
Save = Callable[[str, str, str, str], Awaitable[GroupInfo]]  # name, description, file, how


class GroupFormModal(Dialog[GroupInfo | None]):
    """Dismisses the saved group, or None on Cancel/Escape."""

    AUTO_FOCUS = "#group-name"
    BINDINGS = [
        Binding("f2", "ok", "Save", key_display="F2"),
        Binding("escape", "cancel", "Cancel"),
        *GLOBAL_KEYS,
    ]

    def __init__(
        self,
        title: str,
        intro: str,
        *,
        exists: Exists,
        save: Save,
        with_file: bool = False,
        can_add: bool = False,
    ) -> None:
        super().__init__(title, classes="group-form")
        self.intro = intro
        self._exists = exists
        self._save = save
        self.with_file = with_file
        self.can_add = can_add
        self._busy = False

    def compose_body(self) -> ComposeResult:
        yield Static(self.intro, id="group-intro", markup=False)
        with Horizontal(classes="field"):
            yield Static("Name", classes="label")
            yield OrderedInput(id="group-name", max_length=NAME_MAX, compact=True)
            yield Static(f"up to {NAME_MAX} characters", classes="hint", markup=False)
        with Horizontal(classes="field"):
            yield Static("Description", classes="label")
            yield OrderedInput(id="group-description", max_length=DESCRIPTION_MAX, compact=True)
        if self.with_file:
            with Horizontal(classes="field"):
                yield Static("File", classes="label")
                yield OrderedInput(
                    id="group-file", placeholder="full path: one NHS number a line", compact=True
                )
        with VerticalScroll(id="group-error-box"):
            yield Static("", id="group-error", classes="error", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("Save", id="ok", variant="primary", compact=True)
            yield Button("Cancel", id="cancel", compact=True)

    # ----- events ------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_ok()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.action_ok()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.close(None)

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value.strip()

    def action_ok(self) -> None:
        if self._busy:
            return
        name = self._value("group-name")
        if not name:
            return self._refuse(f"Enter a group name of 1 to {NAME_MAX} characters.", "group-name")
        if name.startswith("$"):
            return self._refuse(t.SYSTEM_GROUP_REFUSAL, "group-name")
        if self.with_file and not self._value("group-file"):
            return self._refuse(
                "Enter the full path of a text file with one NHS number a line.", "group-file"
            )
        self._busy = True
        self._check_name(name)

    @work(exclusive=True, group="group-check", exit_on_error=False)
    async def _check_name(self, name: str) -> None:
        try:
            taken = await self._exists(name)
        except ServiceError as exc:  # the database went away: say so, keep the form
            return self._refuse(f"Cannot check the group names: {exc}", "group-name")
        finally:
            self._busy = False
        if taken:
            self.app.push_screen(
                OverwriteModal(name, can_add=self.can_add), lambda how: self._answered(how)
            )
        else:
            self._write("new")

    def _answered(self, how: str | None) -> None:
        if how is None:
            self.query_one("#group-name", Input).focus()
            return
        self._write(how)

    def _write(self, how: str) -> None:
        self._busy = True
        self._show_error("Saving...")
        self._run_save(
            self._value("group-name"),
            self._value("group-description"),
            self._value("group-file") if self.with_file else "",
            how,
        )

    @work(exclusive=True, group="group-save", exit_on_error=False)
    async def _run_save(self, name: str, description: str, path: str, how: str) -> None:
        # A file of 60,000 numbers is checked against every patient: the services do it off
        # the UI loop.
        try:
            saved = await self._save(name, description, path, how)
        except ServiceError as exc:
            self._busy = False
            self._refuse(str(exc), "group-file" if self.with_file else "group-name")
            return
        self._busy = False
        self.close(saved)

    # ----- showing problems --------------------------------------------------------------------

    def _refuse(self, message: str, field_id: str) -> None:
        self._show_error(message)
        for field in self.query(Input):
            field.set_class(field.id == field_id, "-bad")
        self.query_one(f"#{field_id}", Input).focus()

    def _show_error(self, message: str) -> None:
        self.query_one("#group-error", Static).update(message)
        self.query_one("#group-error-box").scroll_home(animate=False)

    @property
    def error_text(self) -> str:
        return str(self.query_one("#group-error", Static).content)
