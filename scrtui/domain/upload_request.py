"""What a run is asked to do: the engine's input, from the CLI or the Bulk Transmission screen.

Below scrtui/services.py (which re-exports it for the UI) so the engine need not import the
UI's protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from scrtui.domain.records import Mode
from scrtui.domain.schedule import Schedule
from scrtui.domain.uploads import UploadId


@dataclass(frozen=True)
class UploadRequest:
    mode: Mode
    schedule: Schedule
    group: str | None = None
    upload: UploadId = UploadId.INITIAL  # which bulk upload (scrtui/domain/uploads.py)
    upload_date: date | None = None  # the date the upload window asks for (deregistration)
