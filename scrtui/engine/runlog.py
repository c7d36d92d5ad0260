"""A run log (logs/initial-upload.log, logs/bulk-update.log...: scrtui/paths.py Home.run_log):
one readable line per run event, for the administrator."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from scrtui import logs
from scrtui.paths import touch_private


class RunLog:
    """Writes each event to the human-readable log and to the JSON log."""

    def __init__(self, path: Path, who: str = "", upload: str | None = None) -> None:
        self.path = path
        self.who = who
        self.upload = upload  # the JSON log's lines name their upload too
        path.parent.mkdir(parents=True, exist_ok=True)
        touch_private(path)
        self._json = logs.get("scrtui.upload")

    def write(self, now: datetime, event: str, text: str, **fields: object) -> None:
        who = f" [{self.who}]" if self.who else ""
        try:
            with open(self.path, "a", encoding="utf-8") as handle:
                handle.write(f"{now:%d/%m/%Y %H:%M:%S}{who} {text}\n")
        except OSError:
            pass  # a full disk: the run stops and says so; a log line must not crash it
        if self.upload is not None:
            fields.setdefault("upload", self.upload)
        self._json.info(event, text=text, user=self.who, **fields)
