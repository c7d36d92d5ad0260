"""An upload another process (`scrtui upload`) runs on the same data directory, as the app
meets it (issue 22 bug 4), against the real services."""

from __future__ import annotations

import os
from pathlib import Path

from scrtui.store.db import UploadLock
from scrtui.ui.modals.confirm import ConfirmModal
from scrtui.ui.modals.message import MessageModal

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
