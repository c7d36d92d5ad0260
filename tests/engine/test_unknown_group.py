"""The app's path to an upload (scrtui/wiring.py): a group that does not exist (deleted since
it was chosen) is refused before the engine records a run."""

from __future__ import annotations

import pytest

from scrtui.domain.records import Mode
from scrtui.domain.schedule import Schedule
from scrtui.services import UploadRefused, UploadRequest
from scrtui.store import queries
from tests.engine.conftest import fast_settings, logged_in


@pytest.mark.parametrize("mode", list(Mode))
async def test_an_unknown_group_is_refused_and_no_run_is_recorded(seeded, sim, mode) -> None:
    services = await logged_in(seeded, fast_settings(sim.url))
    try:
        refusal = (await services.preflight(mode, "GONE")).refusal or ""
        assert refusal.startswith('There is no patient group "GONE" (groups: $PAT')
        assert refusal.endswith("choose one of those, or all patients. Nothing was sent.")
        with pytest.raises(UploadRefused, match='no patient group "GONE"'):
            await services.run_upload(UploadRequest(mode, Schedule(), group="GONE"))
    finally:
        services.close()
    assert queries.last_run() is None
    assert (await sim.stats())["requests"] == 0
