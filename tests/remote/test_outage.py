"""Issue 19's outage pause reaches those who watch a detached upload (issue 25): the MHS
adaptor answers every message 500 "Error making outbound request" (as the real one does when
the Spine is out of reach), the background upload process pauses, and the app's window on
it, `scrtui status` and `scrtui status --json` all say "Paused: the MHS at URL answers ...
since HH:MM; next try HH:MM"; when the adaptor answers again, the run goes on by itself."""

from __future__ import annotations

import json
from datetime import datetime

from scrtui.domain import outage
from scrtui.domain.progress import RunStatus
from scrtui.store.db import close_database
from scrtui.ui import text as t
from scrtui.ui.modals.confirm import ConfirmModal
from scrtui.ui.screens.upload import UploadScreen
from tests.remote.conftest import Practice, wait_until
from tests.remote.test_window import window_services
from tests.ui.conftest import make_app, screen_text, wait_for

# Quick to declare and to probe, so the test sees the pause and its end soon.
QUICK_OUTAGE = (
    "[retry]\nbackoff_base = 0.01\nbackoff_max = 0.05\noutage_after_failures = 3\n"
    "outage_probe_first = 0.2\noutage_probe_max = 0.5\n"
)
ADAPTOR_WORDS = "answers 500 'Error making outbound request' to every message since"


def in_outage(snapshot_reason: str) -> bool:
    return snapshot_reason.startswith(outage.PREFIX) and ADAPTOR_WORDS in snapshot_reason


async def test_an_outage_pauses_the_detached_upload_and_its_window_and_status_say_so(
    practice: Practice,
) -> None:
    toml = practice.home / "scrtui.toml"
    toml.write_text(toml.read_text() + QUICK_OUTAGE)
    pid = practice.detach()
    wait_until(lambda: practice.accepted() >= 5, "sending")
    services = window_services(practice)
    app = make_app(services, clock=datetime.now)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), timeout=60)
            assert f"process {pid}" in screen_text(app)
            await pilot.press("y")
            await wait_for(pilot, lambda: isinstance(app.screen, UploadScreen))

            practice.control(outage=True)
            await wait_for(
                pilot,
                lambda: in_outage(app.live.state.snapshot.reason),
                timeout=60,
                what="the outage pause, from the upload process",
            )
            snapshot = app.live.state.snapshot
            assert snapshot.status is RunStatus.PAUSED and t.in_outage(snapshot)
            assert "; next try " in snapshot.reason
            status = t.status_line(snapshot)
            assert status.startswith(f"Paused: the MHS at {practice.url.rstrip('/')}")
            # The running view says it as it says an in-process run's pause.
            await wait_for(pilot, lambda: ADAPTOR_WORDS in " ".join(screen_text(app).split()))

            live = practice.scrtui("status")
            assert live.returncode == 0, live.stderr
            assert f"running in the background, pid {pid}" in live.stdout
            assert f"Paused ({outage.PREFIX}" in live.stdout and ADAPTOR_WORDS in live.stdout
            document = json.loads(practice.scrtui("status", "--json").stdout)
            assert document["live"]["snapshot"]["status"] == "Paused"
            assert in_outage(document["live"]["snapshot"]["reason"])
            assert document["failed"] == 0  # an outage marks nobody Failed

            at_end = practice.accepted()
            practice.control(outage=False)
            await wait_for(
                pilot,
                lambda: app.live.state.snapshot.status is RunStatus.RUNNING,
                timeout=60,
                what="the run goes on once the adaptor answers",
            )
            wait_until(lambda: practice.accepted() > at_end, "sending again")
            assert practice.scrtui("stop").returncode == 0
            await wait_for(pilot, lambda: not app.upload_running, timeout=60, what="the end")
    finally:
        services.close()
        close_database()
