"""Smartcard login: the passcode (masked), then the role profile when there are several."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from scrtui.services import LoginResult, RoleChoice

from ..widgets.ordered_input import OrderedInput
from .base import GLOBAL_KEYS, Dialog

Login = Callable[[str], Awaitable[LoginResult]]


class PasscodeModal(Dialog[LoginResult | None]):
    """Asks for the passcode until it is accepted (dismiss the result) or cancelled (None)."""

    AUTO_FOCUS = "#passcode"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("f2", "submit", "OK", key_display="F2"),
        *GLOBAL_KEYS,
    ]

    def __init__(self, login: Login, *, reason: str = "") -> None:
        super().__init__("Smartcard login")
        self._login = login
        self._reason = reason
        self._busy = False

    def compose_body(self) -> ComposeResult:
        yield Static(
            self._reason or "Enter the passcode of the smartcard in the reader.",
            id="login-intro",
            markup=False,
        )
        with Horizontal(classes="field"):
            yield Static("Passcode", classes="label")
            yield OrderedInput(
                password=True, id="passcode", max_length=16, compact=True, placeholder="digits"
            )
        yield Static("", id="login-error", classes="error", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("OK", id="ok", variant="primary", compact=True)
            yield Button("Cancel", id="cancel", compact=True)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.action_submit()
        else:
            self.action_cancel()

    def action_cancel(self) -> None:
        self.close(None)

    def action_submit(self) -> None:
        passcode = self.query_one("#passcode", Input).value
        if not passcode:
            self._show_error("Enter your passcode.")
            return
        if not self._busy:
            self._busy = True
            self._check(passcode)

    @work(exclusive=True, group="login", exit_on_error=False)
    async def _check(self, passcode: str) -> None:
        # The card talks through the services (APDUs off the UI loop); this screen only waits.
        self.query_one("#login-error", Static).update("Checking...")
        try:
            result = await self._login(passcode)
        except Exception as exc:  # a reader error must not kill the dialog or the app
            result = LoginResult(ok=False, message=f"The card could not be read: {exc}")
        finally:
            self._busy = False
        if result.ok:
            self.close(result)
            return
        field = self.query_one("#passcode", Input)
        field.value = ""
        field.focus()
        self._show_error(result.message or "The passcode was not accepted.")

    def _show_error(self, message: str) -> None:
        self.query_one("#login-error", Static).update(message)


class RoleModal(Dialog[str | None]):
    """Choose one of the user's role profiles; dismisses its id, or None on Escape."""

    AUTO_FOCUS = "#roles"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), *GLOBAL_KEYS]

    def __init__(self, roles: Sequence[RoleChoice]) -> None:
        super().__init__("Choose your role")
        self._roles = list(roles)

    def compose_body(self) -> ComposeResult:
        yield Static(
            "You hold several role profiles. Choose the one to work in "
            "(the upload needs activity B0062).",
            markup=False,
        )
        yield OptionList(
            *(Option(role.label, id=role.role_profile_id) for role in self._roles),
            id="roles",
            markup=False,
        )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.close(event.option_id)

    def action_cancel(self) -> None:
        self.close(None)
