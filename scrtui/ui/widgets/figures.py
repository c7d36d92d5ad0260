"""The running figures Vision shows beside the bar, plus rate and time left."""

from __future__ import annotations

from textual.widgets import Static

from scrtui.domain.progress import Snapshot

from .. import text as t


def figures_text(snapshot: Snapshot) -> str:
    rows = (
        ("Average upload time per patient", t.average_time(snapshot.avg_seconds_per_patient)),
        ("Messages sent to the queue", f"{snapshot.queued:,}" + _awaiting(snapshot)),
        ("Rate", t.rate(snapshot.rate_per_second)),
        ("Time left (ETA)", t.eta(snapshot.eta)),
    )
    return "\n".join(f"{label:<32}{value}" for label, value in rows)


def _awaiting(snapshot: Snapshot) -> str:
    """Asynchronous mode: sent, with the Spine's acknowledgement still to come (on one line)."""
    return f" ({snapshot.awaiting_ack:,} awaiting ack)" if snapshot.awaiting_ack else ""


class RunFigures(Static):
    def __init__(self) -> None:
        super().__init__("", id="run-figures", markup=False)
        self._shown = ""

    def show(self, snapshot: Snapshot) -> None:
        text = figures_text(snapshot)
        if text != self._shown:
            self._shown = text
            self.update(text, layout=False)  # always four lines
