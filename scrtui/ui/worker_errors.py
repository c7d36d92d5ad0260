"""The one fallback for a UI worker that fails with something other than a ServiceError.

A service says what the user may be told as a ServiceError (scrtui/services.py), and the screens
catch that one and show it where it belongs. Anything else out of a worker is a bug: it is
logged with its traceback to the JSON log file (scrtui/logs.py; never the terminal), the user is
told in a notification, and the app keeps running (every worker is made with
exit_on_error=False). Textual posts a worker's state change to the node that runs it and does not
bubble it, so the base classes of the screens, dialogs and widgets that run workers hand theirs
to on_failed_worker, and the App its own to report_failed_worker.
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.worker import Worker, WorkerState

from scrtui import logs

log = logs.get("scrtui.ui")

FAILED_TITLE = "Something went wrong"


def failed_text(worker: Worker[object]) -> str:
    # Not worker.description: Textual writes a @work method's arguments there (a passcode).
    return (
        f"A background task failed unexpectedly ({type(worker.error).__name__}: "
        f"{worker.error}). The app carries on: try again; if it happens again, send the log "
        "file (logs/scrtui.jsonl in the data directory) to your supplier."
    )


def report_failed_worker(app: App[Any], worker: Worker[object]) -> None:
    error = worker.error
    log.error(
        "ui_worker_failed",
        worker=worker.name,
        group=worker.group,
        error=repr(error),
        exc_info=error if isinstance(error, BaseException) else None,
    )
    app.notify(failed_text(worker), title=FAILED_TITLE, severity="error", timeout=30)


def on_failed_worker(app: App[Any], event: Worker.StateChanged) -> None:
    """The handler of a screen, dialog or widget that runs workers (their base classes')."""
    if event.state is WorkerState.ERROR:
        report_failed_worker(app, event.worker)
