"""`scrtui report --run last --format csv|json|html`: the completion report of an upload's run
(scrtui/domain/completion_report.py), for the practice's records."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from scrtui import logs
from scrtui.cli.common import EXIT_OK, EXIT_REFUSED, CliError, Context, cannot_write
from scrtui.domain.completion_report import CompletionReport
from scrtui.domain.report_formats import rendered
from scrtui.domain.uploads import UploadId
from scrtui.paths import write_private
from scrtui.settings import Settings
from scrtui.store.completion import NoRun
from scrtui.store.completion import completion_report as build


def load(settings: Settings, upload: UploadId, run: str = "last") -> CompletionReport:
    return build(
        upload,
        ods_code=settings.ods_code,
        practice_name=settings.practice_name,
        now=datetime.now(),
        run=run,
    )


def run_completion_command(args: argparse.Namespace, context: Context) -> int:
    for flag in ("bucket", "search", "changes"):
        if getattr(args, flag):
            raise CliError(f"--{flag} is for the patient report, not with --run", EXIT_REFUSED)
    try:
        report = load(context.settings, args.upload, args.run)
    except NoRun as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None
    text = rendered(report, args.format)
    if args.output in (None, "-"):
        sys.stdout.write(text)
    else:
        try:
            write_private(Path(args.output), text, make_folder=False)
        except OSError as exc:
            raise cannot_write(args.output, exc) from None
        print(f"Wrote the completion report of run {report.run_id} to {args.output}.",
              file=sys.stderr)  # fmt: skip
    logs.get().info("completion_report", run_id=report.run_id, format=args.format)
    return EXIT_OK
