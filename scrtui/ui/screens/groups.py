"""Patient Groups: the groups with their member counts; make one from a file of NHS numbers,
view its members, delete it. System groups ($PAT, $QOF...) can be viewed, never changed.

Groups made from the SCR Reporter's marks are saved there (g); this screen makes them from a
file (all or nothing: one bad NHS number and nothing is saved, with every problem listed).
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from scrtui.services import GroupInfo, PatientRow, ServiceError

from .. import text as t
from ..host import host
from ..modals.confirm import ConfirmModal
from ..modals.group_form import GroupFormModal
from ..modals.message import MessageModal
from ..widgets import set_text
from ..widgets.patient_table import MEMBER_COLUMNS, PatientTable, RowTable
from .patient_data import PatientDataScreen
from .tool import ToolScreen

DESCRIPTION_WIDTH = 44


class GroupsScreen(ToolScreen):
    HELP_SECTION = "Patient Groups"
    AUTO_FOCUS = "#groups-table"
    BINDINGS = [
        Binding("v", "view", "View members"),
        Binding("n", "new", "New from file"),
        Binding("d", "delete", "Delete"),
        Binding("ctrl+r", "reload", "Reload", key_display="^R"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.groups: list[GroupInfo] = []

    def compose_body(self) -> ComposeResult:
        yield Static("Patient Groups", classes="tool-title")
        yield RowTable(id="groups-table")
        yield Static("", id="groups-detail", markup=False)

    def on_mount(self) -> None:
        table = self.query_one("#groups-table", DataTable)
        table.add_column("Name", width=10, key="name")
        table.add_column(Text("Members", justify="right"), width=8, key="members")
        table.add_column("Type", width=6, key="type")
        table.add_column("Description", width=DESCRIPTION_WIDTH, key="description")
        self._load()

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#groups-table", DataTable)

    @work(exclusive=True, group="groups-load", exit_on_error=False)
    async def _load(self, select: str | None = None) -> None:
        try:
            self.groups = await host(self).services.groups()
        except ServiceError as exc:
            self.groups = []
            set_text(self.query_one("#groups-detail", Static), f"Cannot read the groups: {exc}")
            return
        table = self.table
        wanted = select if select is not None else (self.current.name if self.current else None)
        table.clear()
        ascii_only = host(self).ascii_only
        for group in self.groups:
            table.add_row(
                Text(group.name, no_wrap=True),
                Text(f"{group.members:,}", justify="right"),
                Text("system" if group.system else "user"),
                Text(t.clip(group.description, DESCRIPTION_WIDTH, ascii_only=ascii_only)),
                key=group.name,
            )
        index = next((i for i, g in enumerate(self.groups) if g.name == wanted), 0)
        if self.groups:
            table.move_cursor(row=index)
        self._render_detail()

    @property
    def current(self) -> GroupInfo | None:
        if not self.groups:
            return None
        row = self.table.cursor_row
        return self.groups[row] if 0 <= row < len(self.groups) else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._render_detail()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_view()

    def _render_detail(self) -> None:
        group = self.current
        detail = self.query_one("#groups-detail", Static)
        if group is None:
            set_text(detail, "There are no patient groups yet: n makes one from a file.")
            return
        lines = [f"{group.name}: {t.patients(group.members)}. {group.description}".rstrip()]
        if group.system:
            lines.append(t.SYSTEM_GROUP_NOTE)
        else:
            lines.append(
                f'To resend to them: Bulk Uploads > Failed (or Rerun), Group Name "{group.name}".'
            )
        set_text(detail, "\n".join(lines))

    # ----- actions -----------------------------------------------------------------------------

    def action_view(self) -> None:
        group = self.current
        if group is not None:
            self.app.push_screen(GroupMembersScreen(group))

    def action_new(self) -> None:
        services = host(self).services

        async def save(name: str, description: str, path: str, how: str) -> GroupInfo:
            return await services.import_group_file(name, description, path, how=how)

        self.app.push_screen(
            GroupFormModal(
                "New patient group",
                "A group from a text file of NHS numbers, one a line (blank lines and # comments "
                "are ignored). One number that is not valid or not a patient here, and nothing "
                "is saved.",
                exists=services.group_exists,
                save=save,
                with_file=True,
                can_add=True,
            ),
            self._created,
        )

    def _created(self, group: GroupInfo | None) -> None:
        if group is None:
            return
        self._load(select=group.name)
        self.app.push_screen(
            MessageModal("Patient group saved", t.group_saved_message(group.name, group.members))
        )

    def action_delete(self) -> None:
        group = self.current
        if group is None:
            return
        if group.system:
            self.app.push_screen(
                MessageModal("Delete patient group", t.SYSTEM_GROUP_REFUSAL, kind="refusal")
            )
            return
        self.app.push_screen(
            ConfirmModal(
                "Delete patient group",
                t.delete_group_question(group.name, group.members),
                t.DELETE_GROUP_DETAIL,
                default_yes=False,
            ),
            lambda yes: self._delete_if(group, yes),
        )

    def _delete_if(self, group: GroupInfo, yes: bool | None) -> None:
        if yes:
            self._delete(group)

    @work(exclusive=True, group="group-delete", exit_on_error=False)
    async def _delete(self, group: GroupInfo) -> None:
        try:
            await host(self).services.delete_group(group.name)
        except ServiceError as exc:
            self.app.push_screen(MessageModal("Delete patient group", str(exc), kind="refusal"))
            return
        self._load()

    def action_reload(self) -> None:
        self._load()

    def action_back(self) -> None:
        self.app.pop_screen()


class GroupMembersScreen(PatientDataScreen):
    HELP_SECTION = "Patient Groups"
    """A group's members with their upload state, loaded page by page."""

    AUTO_FOCUS = "#members-table"
    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(self, group: GroupInfo) -> None:
        super().__init__()
        self.group = group
        self._rows: list[PatientRow] = []

    def compose_body(self) -> ComposeResult:
        kind = "system group" if self.group.system else "group"
        yield Static(
            f"Members of {kind} {self.group.name} ({t.patients(self.group.members)})",
            classes="tool-title",
            markup=False,
        )
        yield PatientTable(MEMBER_COLUMNS, ascii_only=host(self).ascii_only, id="members-table")
        yield Static("Loading...", id="members-info", markup=False)

    def on_mount(self) -> None:
        services = host(self).services
        name = self.group.name

        async def count() -> int:
            self._rows = await services.group_members(name)
            return len(self._rows)

        async def fetch(offset: int, limit: int) -> list[PatientRow]:
            return self._rows[offset : offset + limit]

        self.query_one(PatientTable).show_view(count, fetch)

    def on_patient_table_loaded(self, event: PatientTable.Loaded) -> None:
        event.stop()
        table = event.table
        text = t.patients(table.total)
        if not table.all_loaded:
            text += f"; {len(table.rows_loaded):,} loaded so far (more as you scroll)"
        set_text(self.query_one("#members-info", Static), text)

    def on_patient_table_failed(self, event: PatientTable.Failed) -> None:
        event.stop()
        set_text(self.query_one("#members-info", Static), f"Cannot read the members: {event.error}")

    def action_back(self) -> None:
        self.app.pop_screen()
