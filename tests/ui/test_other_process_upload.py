"""An upload another process (`scrtui upload`) runs on the same data directory, as the app
meets it (issue 22 bug 4), against the real services."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

from textual.widgets import Static

from scrtui.domain.records import Bucket
from scrtui.settings import load, save, with_changes
from scrtui.store.db import UploadLock
from scrtui.ui.modals.confirm import ConfirmModal
from scrtui.ui.modals.message import MessageModal

from ..conftest import cli_env, scrtui_executable
from .conftest import make_app, wait_for
from .real_services import real_services
from .test_flow import on, open_bulk


async def test_a_second_upload_is_refused_before_any_question(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path) as services:
        lock = UploadLock(services.home.db_path)
        lock.acquire()  # as `scrtui upload` in another process holds it
        try:
            app = make_app(services)
            async with app.run_test() as pilot:
                await open_bulk(pilot)
                for key in ("r", "u"):  # Run and Resume alike
                    await pilot.press(key)
                    await wait_for(pilot, lambda: on(app, MessageModal), what="refusal")
                    assert app.screen.has_class("-refusal")
                    assert f"running on this database (pid {os.getpid()})" in app.screen.text
                    assert not any(isinstance(s, ConfirmModal) for s in app.screen_stack)
                    await pilot.press("enter")
                    await wait_for(pilot, lambda: not on(app, MessageModal), what="closed")
        finally:
            lock.release()


def bulk_status(app) -> str:
    return str(app.screen.query_one("#bulk-status", Static).content)


def status_bar(app) -> str:
    return str(app.screen.query_one("#status-bar", Static).content)


async def test_a_cli_upload_on_the_same_data_is_shown_live_and_read_only(
    seeded_home: Path, tmp_path: Path
) -> None:
    async with real_services(seeded_home, tmp_path, latency_ms=200) as services:
        home = services.home.root
        slow = with_changes(load(home / "scrtui.toml"), concurrency=2)
        save(home / "scrtui.toml", slow)  # the CLI's own settings: it takes a while
        app = make_app(services)
        async with app.run_test() as pilot:
            await open_bulk(pilot)
            assert "idle" in status_bar(app).lower()
            env = {**cli_env(), "SCRTUI_PASSCODE": "1234"}
            cli = subprocess.Popen(
                [scrtui_executable(), "--home", str(home), "upload", "--card", "simulated",
                 "--mode", "run", "--mhs-url", services.settings.mhs_url, "--yes"],
                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            try:
                elsewhere = f"in another process (pid {cli.pid}, started by Demo Administrator"
                await wait_for(pilot, lambda: elsewhere in status_bar(app), timeout=60)
                assert status_bar(app).startswith("Initial Upload: Running")
                await wait_for(pilot, lambda: bulk_status(app).startswith("Status  Running"))
                assert not app.live.state.active  # shown, not driven: nothing to pause here
                sent = app.live.state.snapshot.counts[Bucket.SENT]
                await wait_for(
                    pilot, lambda: app.live.state.snapshot.counts[Bucket.SENT] > sent,
                    what="the counts moving",
                )  # fmt: skip
                cli.send_signal(signal.SIGTERM)  # the CLI's run stops (Resume continues it)
                cli.wait(60)
            finally:
                if cli.poll() is None:
                    cli.kill()
                    cli.wait(10)
            await wait_for(pilot, lambda: status_bar(app).startswith("Initial Upload: Stopped"))
            assert "another process" not in status_bar(app)
            await wait_for(pilot, lambda: bulk_status(app).startswith("Status  Stopped"))
