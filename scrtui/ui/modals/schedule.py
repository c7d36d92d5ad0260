"""The "SCR Upload - <Option>" window: when to start, stop and resume, and for which group.

Every field is checked by scrtui.domain.schedule; a problem is shown under the fields with what
to enter, the field is marked, and OK stays refused until the form is valid.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

from scrtui.domain.records import Mode
from scrtui.domain.schedule import (
    ScheduleError,
    after_session,
    build_schedule,
    parse_date,
    parse_time,
)
from scrtui.domain.uploads import INITIAL, UploadId, deduction_date_problem, kind
from scrtui.services import GroupInfo, ServiceError, UploadRequest

from ..text import group_label, kept_window_note, window_title
from ..widgets.ordered_input import OrderedInput
from .base import GLOBAL_KEYS, Dialog
from .group_picker import GroupPick, GroupPickerModal

Clock = Callable[[], datetime]
CardCheck = Callable[[], str | None]
SessionEnd = Callable[[], datetime | None]  # when the card session ends (None: no session)
GroupSource = Callable[[], Awaitable[Sequence[GroupInfo]]]  # the services' (off the UI loop)

_TIME_CHARS = r"[0-9:.]*"
_DATE_CHARS = r"[0-9/]*"


class MarkedRadioButton(RadioButton):
    """On and off differ in shape, not only colour (under 256 or 16 colours Textual's two
    buttons look alike): (●) and ( )."""

    MARK = "●"

    @property
    def _button(self) -> Content:
        return Content(f"({self.MARK})" if self.value else "( )")


class AsciiRadioButton(MarkedRadioButton):
    """The Linux console font has no bullet: (*) instead."""

    MARK = "*"


class StartChoice(RadioSet):
    """Moving with the arrows chooses (as a radio group does elsewhere), so the highlight
    and the choice never differ; Space and Enter still choose the highlighted one."""

    def action_next_button(self) -> None:
        self._choose(+1)

    def action_previous_button(self) -> None:
        self._choose(-1)

    def _choose(self, step: int) -> None:
        buttons = list(self.query(RadioButton))
        index = min(max(self.pressed_index + step, 0), len(buttons) - 1)
        self._selected = index
        buttons[index].value = True  # the set turns the other one off and says Changed


class ScheduleModal(Dialog[UploadRequest | None]):
    HELP_SECTION = "SCR Upload - <Option> form"
    """Dismisses the UploadRequest on a valid OK, or None on Cancel/Escape."""

    AUTO_FOCUS = "#start-choice"
    BINDINGS = [
        Binding("f2", "ok", "OK", key_display="F2"),
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+g", "pick_group", "Group", key_display="^G"),
        *GLOBAL_KEYS,
    ]

    def __init__(
        self,
        mode: Mode,
        *,
        clock: Clock,
        groups: GroupSource,
        card_problem: CardCheck,
        session_ends: SessionEnd = lambda: None,
        group: str | None = None,
        window: tuple[str, str] | None = None,
        ascii_only: bool = False,
        upload: UploadId = INITIAL,
    ) -> None:
        """window: the Stop and Resume to start with (Resume keeps the window of the run it
        continues; shown, and changeable like any field). upload: which bulk upload; one that
        needs a group (Bulk Deregistration) refuses OK without one, one that asks a date shows
        its field (default today)."""
        super().__init__(window_title(mode, upload), classes="schedule")
        self.mode = mode
        self.upload = upload
        self._kind = kind(upload)
        self._clock = clock
        self._groups = groups
        self._card_problem = card_problem
        self._session_ends = session_ends
        self.group = group
        self._window = window
        self._radio = AsciiRadioButton if ascii_only else MarkedRadioButton
        self._marked: dict[str, str] = {}  # each field's value when it was last (un)marked

    # ----- layout ------------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        now = self._clock()
        stop, resume = self._window or ("", "")
        with Horizontal(classes="field"):
            yield Static("Start", classes="label")
            with StartChoice(id="start-choice", compact=True):
                yield self._radio("Immediately", value=True, id="start-now")
                yield self._radio("At", id="start-at")
            yield OrderedInput(
                f"{now:%d/%m/%Y}",
                id="start-date",
                restrict=_DATE_CHARS,
                max_length=10,
                compact=True,
                enter_moves_focus=True,
                disabled=True,
                tooltip="dd/mm/yyyy",
            )
            yield OrderedInput(
                f"{now:%H:%M}",
                id="start-time",
                restrict=_TIME_CHARS,
                max_length=5,
                compact=True,
                enter_moves_focus=True,
                disabled=True,
                tooltip="hh:mm",
            )
        with Horizontal(classes="field"):
            yield Static("Stop", classes="label")
            yield OrderedInput(
                stop,
                id="stop",
                placeholder="hh:mm",
                restrict=_TIME_CHARS,
                max_length=5,
                compact=True,
                enter_moves_focus=True,
            )
            yield Static("optional: stop at this time", classes="hint", markup=False)
        with Horizontal(classes="field"):
            yield Static("Resume", classes="label")
            yield OrderedInput(
                resume,
                id="resume",
                placeholder="hh:mm",
                restrict=_TIME_CHARS,
                max_length=5,
                compact=True,
                enter_moves_focus=True,
            )
            yield Static("optional: with Stop, pauses daily", classes="hint", markup=False)
        if self._window:
            note = kept_window_note(now, stop, resume)
            yield Static(note, id="window-kept", classes="hint", markup=False)
        with Horizontal(classes="field"):
            yield Static("Group Name", classes="label")
            yield Button(self._group_button_label(), id="group", compact=True)
            needed = "required: " if self._kind.needs_group else ""
            yield Static(f"{needed}Enter or ctrl+g to choose", classes="hint", markup=False)
        if self._kind.asks_date:
            with Horizontal(classes="field"):
                yield Static("Deducted", classes="label")
                yield OrderedInput(
                    f"{now:%d/%m/%Y}",
                    id="upload-date",
                    restrict=_DATE_CHARS,
                    max_length=10,
                    compact=True,
                    enter_moves_focus=True,
                    tooltip="dd/mm/yyyy",
                )
                yield Static("date registration ended", classes="hint", markup=False)
        yield Static("", id="schedule-error", classes="error", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("OK", id="ok", variant="primary", compact=True)
            yield Button("Cancel", id="cancel", compact=True)

    def _group_button_label(self) -> str:
        return f" {group_label(self.group)} "

    # ----- events ------------------------------------------------------------------------------

    def on_radio_set_changed(self, event: RadioSet.Changed) -> None:
        event.stop()
        deferred = event.pressed.id == "start-at"
        for field_id in ("#start-date", "#start-time"):
            self.query_one(field_id, Input).disabled = not deferred
        if not deferred:
            self._mark({"start-date", "start-time"}, False)
            self._show_error("")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.action_ok()
        elif event.button.id == "cancel":
            self.action_cancel()
        elif event.button.id == "group":
            self.action_pick_group()

    def on_input_blurred(self, event: Input.Blurred) -> None:
        # Say what is wrong as soon as the user leaves a field, not only on OK.
        if event.input.id and not event.input.disabled:
            self._check_field(event.input.id)

    def on_input_changed(self, event: Input.Changed) -> None:
        # Clear a field's mark as soon as it becomes valid again. A change queued before the
        # mark (the last key typed just before F2) is no change since: it keeps the mark.
        field_id = event.input.id
        if field_id and event.input.has_class("-bad") and self._marked.get(field_id) != event.value:
            self._check_field(field_id, quiet=True)

    @work(exclusive=True, group="groups", exit_on_error=False)
    async def action_pick_group(self) -> None:
        try:
            groups = await self._groups()
        except ServiceError as exc:  # a locked or missing database: say so, keep the form
            self._show_error(f"Cannot read the patient groups: {exc}")
            return
        self.app.push_screen(GroupPickerModal(groups, self.group), self._group_chosen)

    def _group_chosen(self, pick: GroupPick | None) -> None:
        if pick is None:
            return
        self.group = pick.name
        self.query_one("#group", Button).label = self._group_button_label()

    def action_cancel(self) -> None:
        self.close(None)

    def action_ok(self) -> None:
        request = self.request()
        if request is not None:
            self.close(request)

    # ----- validation --------------------------------------------------------------------------

    def _value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value

    @property
    def deferred(self) -> bool:
        return self.query_one("#start-at", RadioButton).value

    def _field_error(self, field_id: str) -> str | None:
        value = self._value(field_id)
        try:
            if field_id == "start-date":
                parse_date(value)
            elif field_id == "upload-date":
                problem = deduction_date_problem(parse_date(value), self._clock().date(), None)
                if problem:
                    return f"{_FIELD_NAMES[field_id]}: {problem[:1].upper()}{problem[1:]}"
            elif field_id in ("start-time", "stop", "resume") and (
                value.strip() or field_id == "start-time"
            ):
                parse_time(value)
        except ScheduleError as exc:
            return f"{_FIELD_NAMES[field_id]}: {exc}"
        return None

    def _check_field(self, field_id: str, *, quiet: bool = False) -> None:
        if field_id not in _FIELD_NAMES:
            return
        error = self._field_error(field_id)
        self._mark({field_id}, error is not None)
        if error and not quiet:
            self._show_error(error)
        elif not error and not self.query(".-bad"):
            self._show_error("")

    def request(self) -> UploadRequest | None:
        """The validated request, or None after showing what to fix."""
        fields = ["stop", "resume"]
        if self._kind.asks_date:
            fields.append("upload-date")
        if self.deferred:
            fields = ["start-date", "start-time", *fields]
        self._mark(set(_FIELD_NAMES), False)
        for field_id in fields:
            error = self._field_error(field_id)
            if error:
                self._refuse(error, {field_id})
                return None
        date_text = self._value("start-date") if self.deferred else ""
        time_text = self._value("start-time") if self.deferred else ""
        try:
            schedule = build_schedule(
                self._clock(), date_text, time_text, self._value("stop"), self._value("resume")
            )
        except ScheduleError as exc:
            message = str(exc)
            blamed = (
                {"resume"}
                if message.startswith("a resume")
                else (
                    {"stop", "resume"}
                    if "stop and resume" in message
                    else {"start-date", "start-time"}
                )
            )
            self._refuse(message[:1].upper() + message[1:], blamed)
            return None
        if self._kind.needs_group and not self.group:
            self._refuse(
                f"{self._kind.label} needs a patient group: choose the patients who are leaving "
                "(Enter on Group Name, or ctrl+g).",
                set(),
            )
            self.query_one("#group", Button).focus()
            return None
        problem = self._card_problem()
        if problem:
            self._refuse(problem, set())
            return None
        ends = self._session_ends()
        late = after_session(schedule, self._clock(), ends) if ends else None
        if late is not None:
            field, message = late
            blamed = {"start-date", "start-time"} if field == "start" else {field}
            self._refuse(message[:1].upper() + message[1:] + ".", blamed)
            return None
        self._show_error("")
        return UploadRequest(
            mode=self.mode,
            schedule=schedule,
            group=self.group,
            upload=self.upload,
            upload_date=parse_date(self._value("upload-date")) if self._kind.asks_date else None,
        )

    def _refuse(self, message: str, fields: set[str]) -> None:
        self._mark(fields, True)
        self._show_error(message)
        if fields:
            first = next(f for f in _FIELD_NAMES if f in fields)
            self.query_one(f"#{first}", Input).focus()

    def _mark(self, fields: set[str], bad: bool) -> None:
        for field_id in fields:
            for field in self.query(f"#{field_id}").results(Input):  # the date: some uploads
                field.set_class(bad, "-bad")
                self._marked[field_id] = field.value

    def _show_error(self, message: str) -> None:
        self.query_one("#schedule-error", Static).update(message)


_FIELD_NAMES = {
    "start-date": "Start date",
    "start-time": "Start time",
    "stop": "Stop",
    "resume": "Resume",
    "upload-date": "Deducted",
}
