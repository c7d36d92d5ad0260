"""`scrtui upload --mode preview [--of MODE]`: what a mode would do now, sending nothing.

The preview asks the run's own rules (scrtui/engine/preview.py). Only the Initial Upload's
PDS check needs the smartcard session; every other preview reads the database alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from scrtui.cli.common import EXIT_OK, EXIT_REFUSED, CliError, Context, open_services
from scrtui.domain import uploads
from scrtui.domain.preview import PREVIEW_NOTE, PreviewResult, Verdict, title
from scrtui.domain.records import Mode
from scrtui.domain.uploads import UploadId
from scrtui.settings import Settings

if TYPE_CHECKING:  # `scrtui --help` must not load the engine, aiohttp or the UI's seam
    from scrtui.wiring import AppServices

PREVIEW = "preview"


def run_preview_command(
    args: argparse.Namespace,
    ctx: Context,
    settings: Settings,
    login: Callable[[AppServices, str | None], None],
) -> int:
    """`login(services, role)` opens the card session (scrtui/cli/upload.py `_login`)."""
    from scrtui import eventloop
    from scrtui.engine.preview import pds_applies

    mode = Mode(args.of or Mode.RUN.value)
    kind = uploads.kind(args.upload)
    out = sys.stderr if args.json else sys.stdout
    services = open_services(ctx, settings, args.card, args.reader)
    try:
        if args.group is not None:
            eventloop.run(_require_group(services, args.group))  # before the card is asked
        if pds_applies(kind.id, settings):
            print("The preview asks PDS about each patient: it needs your smartcard.", file=out)
            login(services, args.role)
        result = eventloop.run(_preview(services, mode, args.group, kind.id))
    finally:
        services.close()
    if args.json:
        print(json.dumps(result.as_document(), ensure_ascii=False))
    else:
        print("\n".join(summary_lines(result)))
    return EXIT_OK


async def _require_group(services: AppServices, name: str) -> None:
    from scrtui.domain.preflight import unknown_group

    if not await services.group_exists(name):
        known = [g.name for g in await services.groups()]
        raise CliError(unknown_group(name, known), EXIT_REFUSED)


async def _preview(
    services: AppServices, mode: Mode, group: str | None, upload: UploadId
) -> PreviewResult:
    from scrtui.services import ServiceError

    try:
        return await services.preview(mode, group, upload)
    except ServiceError as exc:
        raise CliError(f"{exc}; nothing was sent", EXIT_REFUSED) from None


def summary_lines(result: PreviewResult) -> list[str]:
    kind = uploads.kind(result.upload)
    counts = result.counts
    lines = [
        title(kind.label, result.mode),
        PREVIEW_NOTE,
        f"Group: {result.group or 'all patients'}; PDS checked: "
        f"{'yes' if result.pds_checked else 'no'}; {result.seconds:.1f} s",
        f"  {Verdict.SEND.label:<16}{counts[Verdict.SEND]:>10,}",
        f"  {Verdict.NOT_SEND.label:<16}{counts[Verdict.NOT_SEND]:>10,}",
    ]
    if result.blocked:
        lines.append(f"Note: the option itself cannot start now. {result.blocked}")
    if counts[Verdict.UNDECIDED]:
        lines.append(f"  {Verdict.UNDECIDED.label:<16}{counts[Verdict.UNDECIDED]:>10,}")
    reasons = result.reasons()
    if reasons:
        lines.append("Not sent, by reason:")
        lines += [f"  {r.patients:>8,}  {r.reason_code}  {r.reason_text}" for r in reasons]
    return lines
