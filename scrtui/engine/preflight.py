"""The preflight's facts, read from the database, and its answer (scrtui/domain/preflight.py).

Database work: the services run it in a worker thread (scrtui/wiring.py), the engine on its
own loop's thread when a run starts (UploadEngine.check: the same answer, once more, in case
the database moved on since the user was asked).
"""

from __future__ import annotations

from datetime import date

from scrtui.domain import preflight, uploads
from scrtui.domain.preflight import Preflight
from scrtui.domain.records import Mode
from scrtui.domain.uploads import UploadId
from scrtui.settings import Settings
from scrtui.store import groups as group_store
from scrtui.store import queries, upload_state


def preflight_of(
    mode: Mode,
    group: str | None,
    upload: UploadId,
    settings: Settings,
    *,
    before_group: bool = False,
    upload_date: date | None = None,
    today: date | None = None,
) -> Preflight:
    """What to say before `mode` of `upload` (narrowed to `group`) is asked for."""
    kind = uploads.kind(upload).id
    exists = group is None or group_store.find_group(group.strip()) is not None

    def known() -> list[str]:
        return [g.name for g in group_store.list_groups()]

    def last_window() -> tuple[str | None, str | None] | None:
        run = queries.last_run(kind) if mode is Mode.RESUME else None
        return None if run is None else (run.stop_at, run.resume_at)

    facts = preflight.Facts(
        upload=kind,
        mode=mode,
        group=group,
        gp_summary_enabled=settings.gp_summary_enabled,
        known_groups=[] if exists else known(),
        group_exists=exists,
        selected=lambda selected: upload_state.selection_count(selected, group, kind),
        ever_sent=lambda: upload_state.ever_sent_count(group, kind),
        consent_migration_completed=lambda: queries.ever_completed(uploads.CONSENT_MIGRATION),
        last_window=last_window(),
        before_group=before_group,
        upload_date=upload_date,
        today=today,
        records_begin=queries.records_begin,
    )
    try:
        return preflight.decide(facts)
    except upload_state.GroupNotFound:  # deleted between the look and the count
        return Preflight(refusal=preflight.unknown_group(group or "", known()))
