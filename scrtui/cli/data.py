"""Data commands: seed, import, groups, status and report.

Each command opens the home (settings, logs, database), does one thing, closes the database
and returns an exit code: 0 done, 1 error, 2 refused (bad input; nothing was changed).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from scrtui import logs
from scrtui.cli.common import (
    EXIT_OK,
    EXIT_REFUSED,
    CliError,
    Context,
    add_upload_argument,
    cannot_write,
    open_context,
)
from scrtui.domain import groups as group_rules
from scrtui.domain import human_dates, uploads
from scrtui.domain.records import Bucket
from scrtui.domain.spreadsheet import safe_row
from scrtui.store import consent_changes, importer, queries, report, seed
from scrtui.store import groups as group_store
from scrtui.store.db import StoreError, UploadLock, close_database, store_errors

Handler = Callable[[argparse.Namespace, Context], int]


def _command(handler: Handler) -> Callable[[argparse.Namespace], int]:
    """Open the home around a handler, and always close the database afterwards."""

    def run(args: argparse.Namespace) -> int:
        context = open_context(args)
        try:
            with store_errors(context.home.db_path):
                return handler(args, context)
        except StoreError as exc:
            raise CliError(str(exc), EXIT_REFUSED) from None
        finally:
            close_database()

    return run


@contextmanager
def _no_upload_running(context: Context) -> Iterator[None]:
    """Hold the upload lock while changing patients, so a running upload never sees it."""
    lock = UploadLock(context.home.db_path)
    try:
        lock.acquire()
    except StoreError as exc:
        raise CliError(f"{exc}; the data was not changed", EXIT_REFUSED) from None
    try:
        yield
    finally:
        lock.release()


def _day(text: str) -> date:
    try:
        return human_dates.read_day(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: use DD/MM/YYYY") from None


# --- seed --------------------------------------------------------------------------------------


def _seed(args: argparse.Namespace, context: Context) -> int:
    with _no_upload_running(context):
        try:
            result = seed.seed_practice(
                context.settings,
                patients=args.patients,
                seed=args.seed,
                today=args.today,
                replace=args.replace,
            )
        except seed.SeedError as exc:
            raise CliError(str(exc), EXIT_REFUSED) from None
    logs.get().info(
        "seed",
        patients=result.patients,
        medication_rows=result.medications,
        allergy_rows=result.allergies,
        groups=len(result.groups),
        users=result.users,
        seed=args.seed,
        replaced=args.replace,
        seconds=round(result.seconds, 2),
    )
    print(result.line(str(context.home.db_path)))
    return EXIT_OK


# --- import ------------------------------------------------------------------------------------


def _import(args: argparse.Namespace, context: Context) -> int:
    path = Path(args.file)
    with _no_upload_running(context):
        try:
            result = importer.import_file(path, context.settings)
        except importer.ImportFileError as exc:
            logs.get().warning("import refused", file=str(path), problems=exc.total)
            raise CliError(f"{path}: {exc}", EXIT_REFUSED) from None
    logs.get().info(
        "import",
        file=str(path),
        patients=result.patients,
        medication_rows=result.medications,
        allergy_rows=result.allergies,
        users=result.users,
        invalid_nhs_numbers=result.invalid_nhs_numbers,
        seconds=round(result.seconds, 2),
    )
    print(result.line(str(path)))
    return EXIT_OK


# --- groups ------------------------------------------------------------------------------------


def _groups_list(args: argparse.Namespace, _context: Context) -> int:
    rows = group_store.list_groups()
    if args.json:
        print(json.dumps([row._asdict() for row in rows], ensure_ascii=False, indent=2))
        return EXIT_OK
    if not rows:
        print("No patient groups.")
        return EXIT_OK
    width = max(len("Name"), *(len(r.name) for r in rows))
    print(f"{'Name':<{width}}  {'Members':>7}  Description")
    for row in rows:
        print(f"{row.name:<{width}}  {row.members:>7,}  {row.description}")
    return EXIT_OK


def _groups_import(args: argparse.Namespace, _context: Context) -> int:
    try:
        numbers = group_store.read_number_file(Path(args.file))
        made = group_store.create_group(args.name, args.description, numbers, args.replace)
    except group_store.GroupError as exc:
        logs.get().warning("group refused", group=args.name, problems=len(exc.problems))
        raise CliError(str(exc), EXIT_REFUSED) from None
    logs.get().info("group saved", group=made.name, members=made.members, replaced=args.replace)
    print(f'Saved group "{made.name}" with {made.members:,} patients.')
    return EXIT_OK


def _groups_delete(args: argparse.Namespace, _context: Context) -> int:
    try:
        group_store.delete_group(args.name)
    except group_store.GroupError as exc:
        raise CliError(str(exc), EXIT_REFUSED) from None
    logs.get().info("group deleted", group=args.name)
    print(f'Deleted group "{args.name.strip()}" (the patients are unchanged).')
    return EXIT_OK


# --- status ------------------------------------------------------------------------------------


def _describe_run(run: dict[str, Any] | None) -> str:
    if run is None:
        return "none"
    # For people, as the app shows a run: the user's name and job role code, dates day
    # first; --json keeps ISO dates and every id (docs/dates-and-ids.md).
    role = run.get("job_role") or run["role_profile_id"]
    text = f"{str(run['mode']).capitalize()} by {run['user']} ({role})"
    if run.get("group"):
        text += f", group {run['group']}"
    text += f", started {human_dates.for_people(run['started_at']) or 'not yet'}"
    if run.get("ended_at"):
        text += f", ended {human_dates.for_people(run['ended_at'])}"
    if run.get("outcome"):
        text += f": {run['outcome']}"
        if run.get("outcome_reason"):
            text += f" ({run['outcome_reason']})"
    return text


def _status(args: argparse.Namespace, context: Context) -> int:
    from scrtui.cli.background import live_document, live_status, print_live

    document = queries.status_document(args.upload)
    live = live_status(context.home)  # an upload process running now: its live state
    if args.json:
        if live is not None:
            document["live"] = live_document(live)
        print(json.dumps(document, ensure_ascii=False))
        return EXIT_OK
    print(f"{uploads.kind(args.upload).label} status: {document['status']}")
    if live is not None:
        print_live(live)
    for bucket in Bucket:
        print(f"  {bucket.label:<13}{document[bucket.value]:>10,}")
    print(f"  {'Total':<13}{document['total']:>10,}")
    print(f"Last run: {_describe_run(document['last_run'])}")
    return EXIT_OK


# --- report ------------------------------------------------------------------------------------


@contextmanager
def _output(target: str | None) -> Iterator[TextIO]:
    """stdout, or a new file readable by its owner only (it lists patients)."""
    if target is None or target == "-":
        yield sys.stdout
        return
    fd = os.open(target, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its old mode through O_TRUNC
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        yield handle


def _write_json(rows: Iterator[report.ReportRow], out: TextIO) -> int:
    """A JSON array written row by row, so memory stays flat for any practice size."""
    count = 0
    out.write("[")
    for row in rows:
        out.write(",\n" if count else "\n")
        out.write(json.dumps(row.as_dict(), ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def _write_changes(rows: list[consent_changes.ChangeRow], out: TextIO, fmt: str) -> int:
    """Consent Migration's audit: one row per recoded patient (before, after, who, when)."""
    if fmt == "json":
        json.dump([r.as_dict() for r in rows], out, ensure_ascii=False, indent=1)
        out.write("\n")
        return len(rows)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(consent_changes.CHANGE_COLUMNS)
    writer.writerows(safe_row(r.as_dict().values()) for r in rows)
    return len(rows)


def _report(args: argparse.Namespace, context: Context) -> int:
    if args.run is not None:
        from scrtui.cli.completion import run_completion_command

        return run_completion_command(args, context)
    if args.format == "html":
        raise CliError("--format html is the completion report: add --run last", EXIT_REFUSED)
    if args.changes and args.upload != uploads.CONSENT_MIGRATION:
        raise CliError(
            f"--changes is Consent Migration's audit: use --upload {uploads.CONSENT_MIGRATION}",
            EXIT_REFUSED,
        )
    if args.changes:
        changes = consent_changes.change_rows()
        try:
            with _output(args.output) as out:
                count = _write_changes(changes, out, args.format)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise cannot_write(args.output, exc) from None
        logs.get().info("report_changes", format=args.format, rows=count)
        if args.output not in (None, "-"):
            print(f"Wrote {count:,} rows to {args.output}.", file=sys.stderr)
        return EXIT_OK
    rows = report.report_rows(
        bucket=args.bucket, search=args.search, order=args.order, kind=args.upload
    )
    write = _write_json if args.format == "json" else report.write_csv
    try:
        with _output(args.output) as out:
            count = write(rows, out)
    except BrokenPipeError:
        raise  # the reader went away (`scrtui report | head`): scrtui.cli.main exits quietly
    except OSError as exc:
        raise cannot_write(args.output, exc) from None
    logs.get().info(
        "report",
        bucket=args.bucket,
        format=args.format,
        rows=count,
        to_file=args.output not in (None, "-"),
    )
    if args.output not in (None, "-"):
        print(f"Wrote {count:,} rows to {args.output}.", file=sys.stderr)
    return EXIT_OK


# --- registration ------------------------------------------------------------------------------


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is too small: use 1 or more")
    return value


def _register_seed(sub: Any) -> None:
    p = sub.add_parser(
        "seed",
        help="fill the database with a synthetic practice (demo and test data)",
        description="Create a deterministic synthetic practice: patients with test-range NHS "
        "numbers, medications, allergies, every Not Required reason, three groups and three "
        "users. Refuses if the database already has practice data, unless --replace.",
    )
    p.add_argument("--patients", type=_positive, required=True, metavar="N")
    p.add_argument("--seed", type=int, default=1, metavar="S", help="random seed (default 1)")
    p.add_argument(
        "--replace",
        action="store_true",
        help="delete all patients, users, groups and upload results first",
    )
    p.add_argument(
        "--today",
        type=_day,
        metavar="DD/MM/YYYY",
        help="date the data is relative to (default: today; YYYY-MM-DD also read), for "
        "reproducible data",
    )
    p.set_defaults(func=_command(_seed))


def _register_import(sub: Any) -> None:
    p = sub.add_parser(
        "import",
        help="import a practice extract (JSON Lines, see docs/import-format.md)",
        description="Import patients (and optionally users) from a JSON Lines file. The whole "
        "file is checked first; any problem means nothing is imported (exit code 2).",
    )
    p.add_argument("file", metavar="FILE")
    p.set_defaults(func=_command(_import))


def _register_groups(sub: Any) -> None:
    p = sub.add_parser("groups", help="list, import or delete patient groups")
    gsub = p.add_subparsers(dest="groups_command", metavar="ACTION", required=True)
    lp = gsub.add_parser("list", help="name, members and description of every group")
    lp.add_argument("--json", action="store_true", help="print JSON")
    lp.set_defaults(func=_command(_groups_list))
    ip = gsub.add_parser(
        "import",
        help="make a group from a file of NHS numbers",
        description="Make a patient group from a file with one NHS number per line (spaces "
        "allowed; blank lines and # comments ignored). All or nothing: invalid numbers and "
        "numbers not in the practice are reported and nothing is saved.",
    )
    ip.add_argument("name", metavar="NAME", help=f"up to {group_rules.NAME_MAX} characters")
    ip.add_argument("file", metavar="FILE")
    ip.add_argument(
        "--description",
        default="",
        metavar="TEXT",
        help=f"up to {group_rules.DESCRIPTION_MAX} characters",
    )
    ip.add_argument("--replace", action="store_true", help="overwrite a group of that name")
    ip.set_defaults(func=_command(_groups_import))
    dp = gsub.add_parser("delete", help="delete a user group (not its patients)")
    dp.add_argument("name", metavar="NAME")
    dp.set_defaults(func=_command(_groups_delete))


def _register_status(sub: Any) -> None:
    p = sub.add_parser("status", help="an upload's counters, status and last run")
    add_upload_argument(p)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=_command(_status))


# Written with hyphens as --upload's ids are (bulk-update); the underscore is accepted too.
BUCKET_NAMES = tuple(b.value.replace("_", "-") for b in Bucket)


def bucket_argument(text: str) -> str:
    value = text.strip().lower().replace("-", "_")
    if value not in {b.value for b in Bucket}:
        raise argparse.ArgumentTypeError(
            f"invalid choice: {text!r} (choose from {', '.join(BUCKET_NAMES)})"
        )
    return value


def _register_report(sub: Any) -> None:
    p = sub.add_parser(
        "report",
        help="one row per patient: NHS number, name, bucket, reason, last attempt",
    )
    add_upload_argument(p)
    p.add_argument(
        "--bucket",
        type=bucket_argument,
        metavar="{" + ",".join(BUCKET_NAMES) + "}",
        help="only this bucket (not-required or not_required alike)",
    )
    p.add_argument("--search", metavar="TEXT", help="match NHS number, surname or forename")
    p.add_argument("--order", choices=list(report.ORDERS), default="nhs")
    p.add_argument(
        "--format",
        choices=("csv", "json", "html"),
        default="csv",
        help="html only with --run (a printable page)",
    )
    p.add_argument(
        "--run",
        metavar="last|N",
        help="the completion report of the upload's last run (or run N) instead of the "
        "patient rows: who ran it, pauses, counts, reasons, Failed patients, message rate",
    )
    p.add_argument("--output", metavar="FILE", help="write here (mode 0600) instead of stdout")
    p.add_argument(
        "--changes",
        action="store_true",
        help="with --upload consent-migration: the local consent recoding instead, one row per "
        "change (NHS number, name, before, after, user, role, time)",
    )
    p.set_defaults(func=_command(_report))


def register(subparsers: Any) -> None:
    _register_seed(subparsers)
    _register_import(subparsers)
    _register_groups(subparsers)
    _register_status(subparsers)
    _register_report(subparsers)
