"""After the upload, driven by keys against the real services (scrtui.wiring on a seeded
300-patient practice, the bundled MHS simulator, the simulated card): the SCR Reporter,
Patient Groups, Settings with the Enable GP Summary prompts, the upload log, and the whole
fix-and-resend loop. Each test waits on a condition, never a fixed sleep (except where the
point is that nothing happens for a while)."""

from __future__ import annotations

import stat
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest
from textual.widgets import DataTable, Input, RichLog, Static

from scrtui.domain import uploads
from scrtui.domain.records import Bucket, Mode
from scrtui.domain.schedule import Schedule
from scrtui.services import UploadRequest
from scrtui.ui import text as t
from scrtui.ui.modals.choices import ConfirmOnModal, ContinueModal, OverwriteModal
from scrtui.ui.modals.confirm import ConfirmModal
from scrtui.ui.modals.group_form import GroupFormModal
from scrtui.ui.modals.group_picker import GroupPickerModal
from scrtui.ui.modals.login import PasscodeModal
from scrtui.ui.modals.message import MessageModal
from scrtui.ui.modals.schedule import ScheduleModal
from scrtui.ui.screens.bulk import BulkTransmissionScreen
from scrtui.ui.screens.consent_changes import ConsentChangesScreen
from scrtui.ui.screens.front import SCR_MENU, FrontScreen
from scrtui.ui.screens.groups import GroupMembersScreen, GroupsScreen
from scrtui.ui.screens.log_viewer import LogScreen, new_lines
from scrtui.ui.screens.reporter import ReporterScreen
from scrtui.ui.screens.settings import SettingsScreen
from scrtui.ui.screens.upload import UploadScreen
from scrtui.ui.widgets.keybar import KeyBar
from scrtui.ui.widgets.patient_table import PAGE, PatientTable

from .conftest import make_app, wait_for
from .real_services import PATIENTS, real_services


def real_app(services):
    return make_app(services, clock=datetime.now)


def on(app, screen_type) -> bool:
    return isinstance(app.screen, screen_type) and app.screen.is_mounted


def text_of(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


def table_ready(app) -> bool:
    if not on(app, ReporterScreen):
        return False
    table = app.screen.query_one(PatientTable)
    info = str(app.screen.query_one("#report-info", Static).content)
    # The flags change in the loading worker; the screen renders on the message that follows.
    return not table.view_pending and not table.loading_page and not info.endswith("...")


async def open_tool(pilot, key: str, screen_type) -> None:
    app = pilot.app
    await wait_for(pilot, lambda: on(app, FrontScreen), what="front screen")
    await pilot.press(key)
    await wait_for(pilot, lambda: on(app, screen_type), what=screen_type.__name__)
    if screen_type is ReporterScreen:
        await wait_for(pilot, lambda: table_ready(app), what="the report's first page")


async def back_to_front(pilot) -> None:
    app = pilot.app
    while not on(app, FrontScreen):
        await pilot.press("escape")
        await pilot.pause()


def reporter(app) -> ReporterScreen:
    assert isinstance(app.screen, ReporterScreen)
    return app.screen


async def control(services, **changes) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(services.settings.mhs_url + "control", json=changes) as response,
    ):
        assert response.status == 200, await response.text()


async def stats(services) -> dict:
    async with (
        aiohttp.ClientSession() as http,
        http.get(services.settings.mhs_url + "stats") as response,
    ):
        return await response.json()


async def first_numbers(services, count: int) -> list[str]:
    """NHS numbers (digits only) of the first patients by NHS number."""
    rows = await services.report_page(None, "", "nhs", 0, count)
    return [row.nhs_number.replace(" ", "") for row in rows]


async def run_with_rejections(services, count: int = 12) -> list[str]:
    """A completed Run in which the first `count` patients by NHS number are rejected (AE);
    returns the NHS numbers (3-3-4) that ended Failed (the eligible ones among them)."""
    await control(services, reject_nhs_numbers=await first_numbers(services, count))
    await services.run_upload(UploadRequest(Mode.RUN, Schedule()))
    await control(services, reject_nhs_numbers=[])
    failed = await services.report_page(Bucket.FAILED, "", "nhs", 0, 100)
    assert failed, "the simulator rejected nobody"
    return [row.nhs_number for row in failed]


# ----- the SCR tab ---------------------------------------------------------------------------


async def wait_for_the_end(pilot) -> None:
    """Until the run has finished and its closing message is up."""
    app = pilot.app
    await wait_for(pilot, lambda: not app.upload_running and on(app, MessageModal), timeout=60)


async def stop_and_close(pilot) -> None:
    """OK on the closing message, Stop & Close, then back to the front screen."""
    await pilot.press("enter")
    await wait_for(pilot, lambda: on(pilot.app, UploadScreen))
    await pilot.press("c")
    await wait_for(pilot, lambda: on(pilot.app, BulkTransmissionScreen))
    await pilot.press("escape")


async def test_the_scr_tab_lists_every_tool_and_each_opens(seeded_home: Path, tmp_path: Path):
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await wait_for(pilot, lambda: on(app, FrontScreen))
            labels = [str(o.prompt) for o in app.screen.query_one("#scr-menu").options]
            assert labels == [e.label for e in SCR_MENU]
            assert labels[1:] == [
                "SCR Reporter",
                "Patient Groups",
                "Settings",
                "Upload log",
                "Consent Migration changes",
            ]
            for key, screen_type in (
                ("r", ReporterScreen),
                ("p", GroupsScreen),
                ("s", SettingsScreen),
                ("l", LogScreen),
                ("c", ConsentChangesScreen),
            ):
                await open_tool(pilot, key, screen_type)
                await pilot.press("escape")
                await wait_for(pilot, lambda: on(app, FrontScreen))


# ----- SCR Reporter --------------------------------------------------------------------------


async def test_reporter_buckets_detail_sort_and_lazy_pages(seeded_home: Path, tmp_path: Path):
    async with real_services(seeded_home, tmp_path) as services:
        failed = await run_with_rejections(services)
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_tool(pilot, "r", ReporterScreen)
            screen = reporter(app)
            table = screen.table
            assert screen.bucket == "failed" and table.total == len(failed)
            assert [r.nhs_number for r in table.rows_loaded] == failed
            assert text_of(app, "#report-info").startswith(f"Failed: {t.patients(len(failed))}")
            detail = text_of(app, "#report-detail")
            assert detail.startswith(failed[0])
            assert "Failed, sent once over all runs, last " in detail
            assert "30418" in detail.splitlines()[1] and "ACF" in detail.splitlines()[1]

            await pilot.press("f6")  # Not Required, by reason
            await wait_for(pilot, lambda: table_ready(app) and screen.bucket == "not_required")
            assert table.total == await services.report_count(Bucket.NOT_REQUIRED) > 0
            await pilot.press("ctrl+o")
            await wait_for(pilot, lambda: table_ready(app) and screen.order == "reason")
            codes = [r.reason_code for r in table.rows_loaded]
            assert codes == sorted(codes) and all(c and c.startswith("NR") for c in codes)
            assert "sorted by reason" in text_of(app, "#report-order")

            await pilot.press("f12")  # everyone: more than a page, loaded as the cursor nears
            await wait_for(pilot, lambda: table_ready(app) and screen.bucket == "all")
            assert table.total == PATIENTS and len(table.rows_loaded) == PAGE
            assert text_of(app, "#report-info") == (
                f"All patients: {PATIENTS} patients; none marked; row 1; {PAGE} loaded so far"
            )
            await pilot.press("end")
            await wait_for(pilot, lambda: len(table.rows_loaded) == PATIENTS, what="page two")
            assert text_of(app, "#report-info").endswith(f"; row {PAGE}")  # all loaded
            assert len({r.patient_id for r in table.rows_loaded}) == PATIENTS


async def test_reporter_search_waits_for_typing_to_pause(
    seeded_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        counted: list[str] = []
        real_count = services.report_count

        async def count(bucket, search="", upload="initial"):
            counted.append(search)
            return await real_count(bucket, search, upload)

        monkeypatch.setattr(services, "report_count", count)
        async with app.run_test() as pilot:
            await open_tool(pilot, "r", ReporterScreen)
            await pilot.press("f12")
            await wait_for(pilot, lambda: table_ready(app) and reporter(app).bucket == "all")
            name = (await services.report_page(None, "", "name", 0, 1))[0].name
            surname = name.split(",")[0]
            counted.clear()
            await pilot.press("slash")
            assert isinstance(app.focused, Input)
            await pilot.press(*surname.lower())  # one key after another, no pause
            await wait_for(pilot, lambda: reporter(app).search == surname.lower())
            await wait_for(pilot, lambda: table_ready(app))
            assert counted == [surname.lower()]  # one query for the whole word
            table = reporter(app).table
            assert table.total == (await real_count(None, surname)) >= 1
            assert all(surname.lower() in r.name.lower() for r in table.rows_loaded)
            assert f'matching "{surname.lower()}"' in text_of(app, "#report-info")
            # Letters were text: nothing was marked or exported while typing.
            assert not reporter(app).marks
            digits = table.rows_loaded[0].nhs_number.replace(" ", "")
            await pilot.press("ctrl+u", *digits[:7], "enter")  # Enter: at once, to the list
            await wait_for(pilot, lambda: reporter(app).search == digits[:7] and table_ready(app))
            assert isinstance(app.focused, PatientTable)
            assert table.rows_loaded[0].nhs_number.replace(" ", "").startswith(digits[:7])


async def test_reporter_marks_save_a_group_and_the_name_in_use_question(
    seeded_home: Path, tmp_path: Path
):
    async with real_services(seeded_home, tmp_path) as services:
        failed = await run_with_rejections(services)
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_tool(pilot, "r", ReporterScreen)
            screen = reporter(app)
            await pilot.press("g")  # nothing marked yet: says how to mark
            await wait_for(pilot, lambda: on(app, MessageModal))
            assert "No patients are marked" in app.screen.text
            await pilot.press("escape")
            await wait_for(pilot, lambda: on(app, ReporterScreen))

            await pilot.press("space", "space")  # marks the first two (the cursor moves down)
            first_two = [r.patient_id for r in screen.table.rows_loaded[:2]]
            assert screen.marks == set(first_two)
            assert str(screen.table.get_cell(str(first_two[0]), "mark")) == "*"
            assert "2 marked" in text_of(app, "#report-info")
            await pilot.press("g")
            await wait_for(pilot, lambda: on(app, GroupFormModal))
            await pilot.press(*"FIXED", "tab", *"ACF rejections", "f2")
            await wait_for(pilot, lambda: on(app, MessageModal))
            assert 'Group "FIXED" now has 2 patients.' in app.screen.text
            assert "Bulk Uploads > Initial Upload > Failed, and" in app.screen.text
            assert [m.patient_id for m in await services.group_members("FIXED")] == sorted(
                first_two
            )
            await pilot.press("enter")
            await wait_for(pilot, lambda: on(app, ReporterScreen))
            assert not screen.marks  # saved: the marks are cleared

            await pilot.press("end", "space")  # the last failed patient, into the same name
            last = screen.table.rows_loaded[-1].patient_id
            await pilot.press("g")
            await wait_for(pilot, lambda: on(app, GroupFormModal))
            await pilot.press(*"fixed", "f2")  # the name ignores case
            await wait_for(pilot, lambda: on(app, OverwriteModal))
            assert app.screen.query_one("#question", Static).content == t.OVERWRITE_QUESTION
            assert t.OVERWRITE_QUESTION == (
                "The group name you have chosen is already in use. Do you wish to overwrite it?"
            )
            await pilot.press("n")  # No: back in the form, nothing written
            await wait_for(pilot, lambda: on(app, GroupFormModal))
            assert len(await services.group_members("FIXED")) == 2
            await pilot.press("f2")
            await wait_for(pilot, lambda: on(app, OverwriteModal))
            await pilot.press("a")  # Add to it
            await wait_for(pilot, lambda: on(app, MessageModal))
            members = {m.patient_id for m in await services.group_members("FIXED")}
            assert members == {*first_two, last}
            await pilot.press("enter")

            await wait_for(pilot, lambda: on(app, ReporterScreen))
            await pilot.press("space", "g")  # and overwrite with just one
            await wait_for(pilot, lambda: on(app, GroupFormModal))
            await pilot.press(*"FIXED", "f2")
            await wait_for(pilot, lambda: on(app, OverwriteModal))
            await pilot.press("y")
            await wait_for(pilot, lambda: on(app, MessageModal))
            assert len(await services.group_members("FIXED")) == 1
            assert len(failed) >= 3

            await pilot.press("enter")  # a system group name is refused in the form itself
            await wait_for(pilot, lambda: on(app, ReporterScreen))
            await pilot.press("home", "space", "g")
            await wait_for(pilot, lambda: on(app, GroupFormModal))
            await pilot.press(*"$PAT", "f2")
            await wait_for(pilot, lambda: "system" in app.screen.error_text.lower())
            assert app.screen.query_one("#group-name").has_class("-bad")


async def test_mark_all_marks_the_view_up_to_the_limit_and_says_so(
    seeded_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(t, "MARK_ALL_LIMIT", 50)
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_tool(pilot, "r", ReporterScreen)
            await pilot.press("f8")  # Unprocessed: all 300 before any run
            await wait_for(
                pilot, lambda: table_ready(app) and reporter(app).bucket == "unprocessed"
            )
            await pilot.press("a")
            await wait_for(pilot, lambda: len(reporter(app).marks) == 50)
            info = app.screen.query_one("#report-info", Static)
            assert str(info.content).startswith(f"Marked the first 50 of {PATIENTS} patients")
            assert info.has_class("-warning")
            marked_rows = [
                r for r in reporter(app).table.rows_loaded if r.patient_id in reporter(app).marks
            ]
            assert marked_rows == reporter(app).table.rows_loaded[:50]  # in the view's order
            await pilot.press("u")
            await wait_for(pilot, lambda: not reporter(app).marks)
            assert str(reporter(app).table.get_cell(str(marked_rows[0].patient_id), "mark")) == ""


async def test_export_writes_the_view_and_shows_the_path(seeded_home: Path, tmp_path: Path):
    async with real_services(seeded_home, tmp_path) as services:
        failed = await run_with_rejections(services)
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_tool(pilot, "r", ReporterScreen)
            await pilot.press("x")
            await wait_for(pilot, lambda: on(app, MessageModal))
            text = app.screen.text
            path = Path(next(line for line in text.splitlines() if line.endswith(".csv")))
            assert path.parent == tmp_path / "home" / "exports"
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
            lines = path.read_text().splitlines()
            assert len(lines) == 1 + len(failed)
            await pilot.press("enter")
            await wait_for(pilot, lambda: on(app, ReporterScreen))
            assert text_of(app, "#report-info") == f"Exported to {path}"


async def test_fix_and_resend_loop_through_the_ui(seeded_home: Path, tmp_path: Path):
    """AE rejections in a Run; the Reporter finds them; they go into a group; Failed with that
    group resends to just them, and the simulator accepts them."""
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            rejected = await first_numbers(services, 12)
            await control(services, reject_nhs_numbers=rejected)
            # Initial Upload - Run, through the screens.
            await wait_for(pilot, lambda: on(app, FrontScreen))
            await pilot.press("g")
            await wait_for(pilot, lambda: on(app, BulkTransmissionScreen))
            await pilot.press("r")
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            await pilot.press("y")
            await wait_for(pilot, lambda: on(app, ScheduleModal))
            await pilot.press("f2")
            await wait_for_the_end(pilot)
            await stop_and_close(pilot)

            # SCR Reporter: the Failed ones, all marked, saved to a group.
            await open_tool(pilot, "r", ReporterScreen)
            screen = reporter(app)
            failed = list(screen.table.rows_loaded)
            assert failed and screen.table.total == len(failed)
            assert {r.nhs_number.replace(" ", "") for r in failed} <= set(rejected)
            assert all(r.reason_code == "30418" for r in failed)
            await pilot.press("a")
            await wait_for(pilot, lambda: len(screen.marks) == len(failed))
            await pilot.press("g")
            await wait_for(pilot, lambda: on(app, GroupFormModal))
            await pilot.press(*"FIXED", "tab", *"ACF fixed", "f2")
            await wait_for(pilot, lambda: on(app, MessageModal))
            await pilot.press("enter")
            await wait_for(pilot, lambda: on(app, ReporterScreen))
            await pilot.press("escape")

            # The access control is fixed at the Spine; resend to just the group.
            await control(services, reject_nhs_numbers=[])
            before = await stats(services)
            await wait_for(pilot, lambda: on(app, FrontScreen))
            await pilot.press("g")
            await wait_for(pilot, lambda: on(app, BulkTransmissionScreen))
            await pilot.press("f")
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            assert app.screen.question == t.CONFIRM_PROMPTS[Mode.FAILED]
            await pilot.press("y")
            await wait_for(pilot, lambda: on(app, ScheduleModal))
            await pilot.press("ctrl+g")
            await wait_for(pilot, lambda: on(app, GroupPickerModal))
            await pilot.press(*"FIXED", "enter")
            await wait_for(pilot, lambda: on(app, ScheduleModal) and app.screen.group == "FIXED")
            await pilot.press("f2")
            await wait_for_the_end(pilot)
            assert app.screen.text == t.PROCESS_COMPLETED
            after = await stats(services)
            assert after["requests"] - before["requests"] == len(failed)
            assert after["accepted"] - before["accepted"] == len(failed)
            await stop_and_close(pilot)

            # The Reporter agrees: nobody failed, and they are Sent.
            await open_tool(pilot, "r", ReporterScreen)
            assert reporter(app).table.total == 0
            assert text_of(app, "#report-detail") == "No patients in this view."
            sent = {
                r.patient_id for r in await services.report_page(Bucket.SENT, "", "nhs", 0, 1000)
            }
            assert {r.patient_id for r in failed} <= sent


async def test_reporter_shows_each_upload_its_own_rows(seeded_home: Path, tmp_path: Path):
    """An Initial Upload with AE rejections, then a Bulk Update rejecting other patients: the
    Reporter's ctrl+t goes from one upload's rows to the next, and every view, the counts by
    reason, marks, the saved group and the export are that upload's (issue 14)."""
    update = uploads.BULK_UPDATE
    async with real_services(seeded_home, tmp_path) as services:
        initial_failed = await run_with_rejections(services)
        sent = await services.report_page(Bucket.SENT, "", "nhs", 0, 3)
        await control(services, reject_nhs_numbers=[r.nhs_number.replace(" ", "") for r in sent])
        await services.run_upload(UploadRequest(Mode.RUN, Schedule(), upload=update))
        await control(services, reject_nhs_numbers=[])
        update_failed = await services.report_page(Bucket.FAILED, "", "nhs", 0, 100, update)
        assert [r.nhs_number for r in update_failed] == [r.nhs_number for r in sent]
        # A Bulk Update goes only over a summary this practice sent: the Initial Upload's
        # Failed are Not Required in it (NR08), a reason the Initial Upload never gives.
        update_reasons = {c.reason_code for c in await services.reason_counts(update)}
        initial_reasons = {c.reason_code for c in await services.reason_counts()}
        assert "NR08" in update_reasons and "NR08" not in initial_reasons
        update_nr = await services.report_count(Bucket.NOT_REQUIRED, "", update)

        app = real_app(services)
        async with app.run_test() as pilot:
            await open_tool(pilot, "r", ReporterScreen)  # the chosen upload: Initial
            screen = reporter(app)
            assert text_of(app, "#report-title").startswith("SCR Reporter - Initial Upload ")
            assert [r.nhs_number for r in screen.table.rows_loaded] == initial_failed
            await pilot.press("a")
            await wait_for(pilot, lambda: len(screen.marks) == len(initial_failed))

            await pilot.press("ctrl+t")  # Bulk Update: the Initial Upload's marks are dropped
            await wait_for(pilot, lambda: screen.upload == update and table_ready(app))
            assert text_of(app, "#report-title").startswith("SCR Reporter - Bulk Update ")
            assert not screen.marks
            assert f"{len(initial_failed)} patients unmarked" in text_of(app, "#report-info")
            assert [r.nhs_number for r in screen.table.rows_loaded] == [r.nhs_number for r in sent]
            await pilot.press("a", "g")  # its Failed, to a group for its Failed option
            await wait_for(pilot, lambda: on(app, GroupFormModal))
            await pilot.press(*"UPDFAIL", "f2")
            await wait_for(pilot, lambda: on(app, MessageModal))
            assert "Bulk Update > Failed, and" in app.screen.text
            members = await services.group_members("UPDFAIL")
            assert [m.patient_id for m in members] == [r.patient_id for r in update_failed]
            await pilot.press("enter")
            await wait_for(pilot, lambda: on(app, ReporterScreen))

            await pilot.press("f6")
            await wait_for(pilot, lambda: screen.bucket == "not_required" and table_ready(app))
            assert screen.table.total == update_nr
            assert "NR08" in {r.reason_code for r in screen.table.rows_loaded}
            await pilot.press("f11")
            await wait_for(pilot, lambda: on(app, MessageModal))
            assert app.screen.dialog_title.startswith("Bulk Update: ")
            assert "NR08" in app.screen.text
            await pilot.press("escape")
            await wait_for(pilot, lambda: on(app, ReporterScreen))
            await pilot.press("x")
            await wait_for(pilot, lambda: on(app, MessageModal))
            path = Path(next(x for x in app.screen.text.splitlines() if x.endswith(".csv")))
            assert path.name.startswith("scr-report-bulk-update-not_required-")
            lines = path.read_text().splitlines()
            assert len(lines) == 1 + update_nr
            assert all(",not_required," in line for line in lines[1:])
            assert any(",NR08," in line for line in lines[1:])
            await pilot.press("enter")
            await wait_for(pilot, lambda: on(app, ReporterScreen))

            for _ in range(len(uploads.KINDS) - 1):  # round to the Initial Upload again
                await pilot.press("ctrl+t")
            await wait_for(pilot, lambda: screen.upload == uploads.INITIAL and table_ready(app))
            assert "NR08" not in {r.reason_code for r in screen.table.rows_loaded}
            assert screen.table.total == await services.report_count(Bucket.NOT_REQUIRED)
            await pilot.press("escape")

            # Chosen on the Bulk Transmission screen: the Reporter opens on it.
            app.choose_upload(update)
            await open_tool(pilot, "r", ReporterScreen)
            assert reporter(app).upload == update
            assert [r.nhs_number for r in reporter(app).table.rows_loaded] == [
                r.nhs_number for r in sent
            ]


# ----- Patient Groups ------------------------------------------------------------------------


async def test_groups_from_a_file_all_or_nothing_view_and_delete(seeded_home: Path, tmp_path: Path):
    async with real_services(seeded_home, tmp_path) as services:
        numbers = await services.report_page(None, "", "nhs", 0, 2)
        bad = tmp_path / "numbers.txt"
        bad.write_text(
            f"{numbers[0].nhs_number}\n# a comment\n123 456 7890\n{numbers[1].nhs_number}\n"
        )
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_tool(pilot, "p", GroupsScreen)
            listed = [g.name for g in app.screen.groups]
            assert listed == [g.name for g in await services.groups()]
            assert "$PAT" in listed
            table = app.screen.query_one("#groups-table", DataTable)
            pat = next(g for g in await services.groups() if g.name == "$PAT")
            assert str(table.get_cell("$PAT", "members")) == f"{pat.members:,}"
            assert str(table.get_cell("$PAT", "type")) == "system"

            await pilot.press("n")
            await wait_for(pilot, lambda: on(app, GroupFormModal))
            await pilot.press(*"FILEGRP", "tab", *"from a file", "tab", *str(bad), "f2")
            await wait_for(pilot, lambda: "Nothing was saved" in app.screen.error_text)
            error = app.screen.error_text
            assert 'line 3: "123 456 7890" is not a valid NHS number' in error
            assert not await services.group_exists("FILEGRP")  # all or nothing
            assert app.screen.query_one("#group-file").has_class("-bad")

            bad.write_text(f"{numbers[0].nhs_number}\n{numbers[1].nhs_number}\n")
            await pilot.press("f2")
            await wait_for(pilot, lambda: on(app, MessageModal))
            assert 'Group "FILEGRP" now has 2 patients.' in app.screen.text
            await pilot.press("enter")
            await wait_for(pilot, lambda: on(app, GroupsScreen))
            assert app.screen.current.name == "FILEGRP"  # the new group is highlighted

            bad.write_text(f"{numbers[0].nhs_number}\n123 456 7890\n")
            await pilot.press("n")  # the same name again: overwrite, add to it, or not
            await wait_for(pilot, lambda: on(app, GroupFormModal))
            await pilot.press(*"FILEGRP", "tab", "tab", *str(bad), "f2")
            await wait_for(pilot, lambda: on(app, OverwriteModal))
            assert app.screen.query("#add")
            await pilot.press("a")  # add the bad file's numbers: all or nothing, so refused
            await wait_for(
                pilot,
                lambda: (
                    on(app, GroupFormModal)
                    and app.screen.query_one("#group-file").has_class("-bad")
                ),
            )
            await pilot.press("escape")
            await wait_for(pilot, lambda: on(app, GroupsScreen))

            await pilot.press("v")
            await wait_for(pilot, lambda: on(app, GroupMembersScreen))
            members = app.screen.query_one(PatientTable)
            await wait_for(pilot, lambda: members.total == 2 and len(members.rows_loaded) == 2)
            assert [r.nhs_number for r in members.rows_loaded] == [n.nhs_number for n in numbers]
            await pilot.press("escape")
            await wait_for(pilot, lambda: on(app, GroupsScreen))

            await pilot.press("d")
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            assert app.screen.question == 'Delete the patient group "FILEGRP" (2 patients)?'
            await pilot.press("n")
            await wait_for(pilot, lambda: on(app, GroupsScreen))
            assert await services.group_exists("FILEGRP")
            await pilot.press("d")
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            await pilot.press("y")
            await wait_for(pilot, lambda: "FILEGRP" not in [g.name for g in app.screen.groups])
            assert not await services.group_exists("FILEGRP")

            await pilot.press("home")  # $PAT: a system group is never changed
            assert app.screen.current.name == "$PAT"
            assert t.SYSTEM_GROUP_NOTE in text_of(app, "#groups-detail")
            await pilot.press("d")
            await wait_for(pilot, lambda: on(app, MessageModal))
            assert app.screen.text == t.SYSTEM_GROUP_REFUSAL
            assert await services.group_exists("$PAT")


# ----- Settings ------------------------------------------------------------------------------


async def test_settings_are_read_only_without_a_card_session(seeded_home: Path, tmp_path: Path):
    async with real_services(seeded_home, tmp_path, logged_in=False) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            # The inserted card opens the passcode dialog: not now.
            await wait_for(pilot, lambda: on(app, PasscodeModal) and app.screen.query("#passcode"))
            await pilot.press("escape")
            await open_tool(pilot, "s", SettingsScreen)
            banner = text_of(app, "#settings-refusal")
            assert banner.startswith("Read only. Changing settings needs your smartcard session")
            assert all(field.disabled for field in app.screen.query(Input))
            assert app.screen.check_action("save", ()) is None  # shown, greyed
            await pilot.press("f5")
            assert on(app, SettingsScreen)  # disabled: no prompt
            assert services.settings.gp_summary_enabled

            await pilot.press("f3")  # log in from here: the screen opens up
            await wait_for(
                pilot, lambda: on(app, PasscodeModal) and bool(app.screen.query("#passcode"))
            )
            await pilot.press(*"1234", "enter")
            await wait_for(pilot, lambda: on(app, SettingsScreen))
            await wait_for(pilot, lambda: not app.screen.query_one("#days", Input).disabled)
            assert not app.screen.query_one("#settings-refusal").display


async def test_settings_are_checked_saved_and_logged(seeded_home: Path, tmp_path: Path):
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_tool(pilot, "s", SettingsScreen)
            assert app.screen.query_one("#days", Input).value == "14"
            concurrency = app.screen.query_one("#concurrency", Input)
            concurrency.focus()
            await pilot.press("ctrl+u", "0", "f2")
            error = text_of(app, "#settings-error")
            # In the screen's terms: the field's label, not the file's "[spine] concurrency".
            assert error == "Concurrency: 0 is not allowed; enter a whole number from 1 to 256."
            assert concurrency.has_class("-bad")
            assert services.settings.concurrency != 0

            await pilot.press("ctrl+u", *"8")
            app.screen.query_one("#days", Input).focus()
            await pilot.press("ctrl+u", *"30", "enter")  # Enter in a field saves too
            assert text_of(app, "#settings-error") == ""
            saved = text_of(app, "#settings-saved")
            assert "Registered for more than ... days 14 -> 30" in saved
            assert "Concurrency 32 -> 8" in saved
            assert not concurrency.has_class("-bad")
            assert services.settings.update_existing_after_days == 30
            assert services.settings.concurrency == 8
            toml = (tmp_path / "home" / "scrtui.toml").read_text()
            assert "update_existing_after_days = 30" in toml and "concurrency = 8" in toml
            log = await services.upload_log_tail(20)
            assert any(
                "Demo Administrator, R0001" in line and "concurrency changed from 32 to 8" in line
                for line in log
            )

            url = app.screen.query_one("#mhs-url", Input)
            url.focus()
            await pilot.press("ctrl+u", *"ftp://spine", "f2")
            assert text_of(app, "#settings-error").startswith(
                'MHS URL: "ftp://spine" is not allowed; enter an http:// or https:// URL'
            )
            assert url.has_class("-bad")
            await pilot.press("escape")  # unsaved: asks first
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            await pilot.press("n")
            await wait_for(pilot, lambda: on(app, SettingsScreen))
            await pilot.press("escape")
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            await pilot.press("y")
            await wait_for(pilot, lambda: on(app, FrontScreen))
            assert services.settings.mhs_url.startswith("http://127.0.0.1")


async def test_number_fields_take_digits_only_and_an_empty_one_is_named(
    seeded_home: Path, tmp_path: Path
):
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_tool(pilot, "s", SettingsScreen)
            typed = {}
            for field_id in ("days", "sending-asid", "spine-asid", "concurrency", "rate-limit"):
                field = app.screen.query_one(f"#{field_id}", Input)
                before = field.value
                field.focus()
                await pilot.press("ctrl+u", *"1x-2.5e3", "ctrl+e")
                typed[field_id] = field.value
                await pilot.press("ctrl+u", *before)  # as it was: only the empty one is wrong
            assert typed == {
                "days": "12",
                "sending-asid": "1253",
                "spine-asid": "1253",
                "concurrency": "125",  # at most 3 digits (the largest is 256)
                "rate-limit": "12.53",
            }
            concurrency = app.screen.query_one("#concurrency", Input)
            concurrency.focus()
            await pilot.press("ctrl+u", "f2")
            assert text_of(app, "#settings-error") == (
                "Concurrency: empty; enter a whole number from 1 to 256."
            )
            assert concurrency.has_class("-bad")
            assert services.settings.concurrency == 32


async def test_enable_gp_summary_two_prompts_in_order_and_the_upload_waits_for_it(
    seeded_home: Path, tmp_path: Path
):
    async with real_services(seeded_home, tmp_path, gp_summary_enabled=False) as services:
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_tool(pilot, "g", BulkTransmissionScreen)
            assert "GP Summary is not enabled for this practice." in text_of(app, "#bulk-status")
            await pilot.press("r")
            await wait_for(pilot, lambda: on(app, MessageModal))
            refusal = app.screen.text
            assert refusal.startswith("GP Summary is switched off")
            await pilot.press("escape")
            await back_to_front(pilot)

            await open_tool(pilot, "s", SettingsScreen)
            assert text_of(app, "#gp-summary").startswith("OFF")
            # The refusal names the row exactly as the Settings screen labels it.
            row_label = str(app.screen.query_one("#gp-row .label", Static).content)
            assert f'SCR > Settings, row "{row_label}" (F5)' in refusal
            # Cancelled at the second prompt: still off.
            await pilot.press("f5")
            await wait_for(pilot, lambda: on(app, ContinueModal))
            await pilot.press("y")
            await wait_for(pilot, lambda: on(app, ConfirmOnModal))
            await pilot.press("n")
            await wait_for(pilot, lambda: on(app, SettingsScreen))
            assert not services.settings.gp_summary_enabled

            await pilot.press("f5")
            await wait_for(pilot, lambda: on(app, ContinueModal))
            first = app.screen
            assert first.question == t.ENABLE_PROMPTS[0]
            assert first.question.startswith("Switching on SCR will allow Initial GP Summaries")
            assert first.question.endswith("Do you want to continue?")
            assert str(first.query_one("#accept").label) == "Continue"
            await pilot.press("y")
            await wait_for(pilot, lambda: on(app, ConfirmOnModal))
            second = app.screen
            assert second.question == "Are you certain you wish to turn GP Summary messaging ON?"
            assert str(second.query_one("#accept").label) == "Confirm"
            assert not services.settings.gp_summary_enabled  # nothing until Confirm
            await pilot.press("y")
            await wait_for(pilot, lambda: on(app, MessageModal))
            assert app.screen.text == t.GP_SUMMARY_ON_DONE
            assert "next logs in" in app.screen.text and "at once" in app.screen.text
            assert services.settings.gp_summary_enabled
            assert "gp_summary_enabled = true" in (tmp_path / "home" / "scrtui.toml").read_text()
            await pilot.press("enter")
            await wait_for(pilot, lambda: on(app, SettingsScreen))
            assert text_of(app, "#gp-summary").startswith("ON")
            await back_to_front(pilot)
            assert "NOT enabled" not in text_of(app, "#practice-info")

            await open_tool(pilot, "g", BulkTransmissionScreen)  # now Run may start
            await pilot.press("r")
            await wait_for(pilot, lambda: on(app, ConfirmModal))
            assert app.screen.question == t.CONFIRM_PROMPTS[Mode.RUN]


# ----- the upload log ------------------------------------------------------------------------


def test_new_lines_after_the_previous_tail() -> None:
    assert new_lines([], ["a", "b"]) == ["a", "b"]
    assert new_lines(["a", "b"], ["a", "b"]) == []
    assert new_lines(["a", "b"], ["a", "b", "c"]) == ["c"]
    assert new_lines(["a", "b", "c"], ["b", "c", "d", "e"]) == ["d", "e"]  # the tail moved on
    assert new_lines(["x", "a"], ["a", "b", "a", "c"]) == ["b", "a", "c"]
    assert new_lines(["a", "b"], ["c", "d"]) is None  # no overlap: start again


async def test_the_log_shows_the_tail_and_follows_new_lines_only_while_shown(
    seeded_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    async with real_services(seeded_home, tmp_path) as services:
        await services.run_upload(UploadRequest(Mode.RUN, Schedule()))
        reads: list[int] = []
        real_tail = services.upload_log_tail

        async def tail(max_lines: int = 500) -> list[str]:
            reads.append(max_lines)
            return await real_tail(max_lines)

        monkeypatch.setattr(services, "upload_log_tail", tail)
        app = real_app(services)
        async with app.run_test() as pilot:
            await open_tool(pilot, "l", LogScreen)
            log = app.screen.query_one(RichLog)
            await wait_for(pilot, lambda: len(log.lines) > 0)
            assert text_of(app, "#log-path") == str(tmp_path / "home/logs/initial-upload.log")
            written = "\n".join(str(line.text) for line in log.lines)
            assert "Initial Upload - Run" in written and "Run finished (completed)" in written

            await services.save_group("NEWLINE", "written while the log is open", [1])  # a new line
            await wait_for(
                pilot,
                lambda: 'Group "NEWLINE" saved' in "\n".join(str(x.text) for x in log.lines),
                what="the new line",
            )
            assert "following new lines" in text_of(app, "#log-info")
            await pilot.press("f")
            assert "not following" in text_of(app, "#log-info")
            await pilot.press("f")

            await pilot.press("escape")  # hidden: no more reading
            await wait_for(pilot, lambda: on(app, FrontScreen))
            count = len(reads)
            await pilot.pause(3 * t.LOG_FOLLOW_SECONDS)
            assert len(reads) == count


# ----- the key bar ---------------------------------------------------------------------------


async def test_every_key_of_the_busiest_screen_fits_one_line_at_80_columns(
    seeded_home: Path, tmp_path: Path
):
    async with real_services(seeded_home, tmp_path) as services:
        app = real_app(services)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_tool(pilot, "r", ReporterScreen)
            await pilot.press("f12")
            await wait_for(pilot, lambda: table_ready(app) and reporter(app).bucket == "all")
            await pilot.press("space")  # marks: "u Unmark all" shows too
            await pilot.pause()
            bar = app.screen.query_one(KeyBar)
            assert len(bar.plain.splitlines()) == 1 and len(bar.plain.rstrip()) <= 80
            for key in ("F5-F12", "^O", "/", "Space", "a", "u", "g", "x", "esc", "F1", "F10"):
                assert f"{key} " in f"{bar.plain} ", key
            await pilot.press("slash")  # typing: the letter keys are not offered
            await pilot.pause()
            assert "Mark all" not in bar.plain and "Export" not in bar.plain
            assert "Bucket" in bar.plain and "Sort" in bar.plain
