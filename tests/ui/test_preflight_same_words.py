"""One preflight (scrtui/domain/preflight.py): `scrtui upload` and the Bulk Transmission screen
refuse the same situation in the same words, on the same practice, before anything is asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from scrtui.domain.records import Mode
from scrtui.ui.modals.message import MessageModal
from scrtui.ui.screens.bulk import BulkTransmissionScreen
from scrtui.ui.screens.front import FrontScreen

from ..conftest import run_scrtui
from .conftest import make_app, wait_for
from .real_services import real_services


def cli_refusal(home: Path, *args: str) -> str:
    done = run_scrtui(home, "upload", *args, "--yes")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr.strip().removeprefix("scrtui: ")


@pytest.mark.parametrize(("key", "mode"), [("u", Mode.RESUME), ("f", Mode.FAILED)])
async def test_the_cli_and_the_bulk_screen_refuse_in_the_same_words(
    seeded_home: Path, tmp_path: Path, key: str, mode: Mode
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        said = cli_refusal(services.home.root, "--mode", mode.value)
        assert said.startswith(("There is nothing to resume", "There are no failed")), said
        app = make_app(services)
        async with app.run_test() as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, FrontScreen))
            await pilot.press("g")
            await wait_for(pilot, lambda: isinstance(app.screen, BulkTransmissionScreen))
            await pilot.press(key)
            await wait_for(pilot, lambda: isinstance(app.screen, MessageModal), what="refusal")
            assert said in app.screen.text
        assert services.engine is None  # nothing was started


async def test_an_unknown_group_is_said_one_way_by_the_cli_and_the_app_s_preflight(
    seeded_home: Path, tmp_path: Path
) -> None:
    """The app asks the same preflight with the group chosen in the upload window (a group
    deleted since it was listed there)."""
    async with real_services(seeded_home, tmp_path) as services:
        said = cli_refusal(services.home.root, "--mode", "run", "--group", "GONE")
        assert said.startswith('There is no patient group "GONE" (groups: $PAT'), said
        assert (await services.preflight(Mode.RUN, "GONE")).refusal == said
        preview = run_scrtui(services.home.root, "upload", "--mode", "preview", "--group", "GONE")
        assert preview.returncode == 2 and said in preview.stderr, preview.stderr
