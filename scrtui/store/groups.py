"""Patient groups, as in Vision: a name of up to 10 characters, a description of up to 56.

Names starting with `$` are system groups (`$PAT`, `$QOF`...): they are listed and can narrow
an upload, but the user can never create, overwrite or delete them. Writing a group is all or
nothing: one bad NHS number and nothing changes. The CLI and the UI's services share these
functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple

from scrtui.domain import groups as group_rules
from scrtui.domain import nhs_number
from scrtui.store.bulk import insert_group
from scrtui.store.models import database

MAX_PROBLEMS_SHOWN = 20
IN_USE = "The group name you have chosen is already in use."


class GroupError(ValueError):
    """Why a group cannot be written; `problems` lists per-line faults when there are any."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = tuple(problems)


class GroupSummary(NamedTuple):
    name: str
    description: str
    members: int
    system: bool


class NumberLine(NamedTuple):
    """One NHS number as written in a file, with its line number for error messages."""

    line: int
    text: str


def check_name(name: str) -> str:
    """The name to store, or GroupError saying what is allowed."""
    cleaned = name.strip()
    problem = group_rules.name_problem(cleaned)
    if problem:
        raise GroupError(problem)
    return cleaned


def check_description(description: str) -> str:
    cleaned = description.strip()
    problem = group_rules.description_problem(cleaned)
    if problem:
        raise GroupError(problem)
    return cleaned


def parse_number_lines(text: str) -> list[NumberLine]:
    """NHS numbers from a file's text: one per line; blank lines and `#` comments ignored."""
    found: list[NumberLine] = []
    for index, raw in enumerate(text.splitlines(), start=1):
        content = raw.split("#", 1)[0].strip()
        if content:
            found.append(NumberLine(index, content))
    return found


def read_number_file(path: Path) -> list[NumberLine]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise GroupError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise GroupError(f"{path}: not a UTF-8 text file of NHS numbers") from None
    except OSError as exc:
        raise GroupError(f"{path}: cannot be read ({exc.strerror})") from None
    return parse_number_lines(text)


def find_group(name: str) -> tuple[int, str, bool] | None:
    """(id, stored name, system) of the group with this name, ignoring case."""
    row = database.obj.execute_sql(
        "SELECT id, name, system FROM patient_group WHERE name = ? COLLATE NOCASE", (name,)
    ).fetchone()
    return None if row is None else (row[0], row[1], bool(row[2]))


def list_groups() -> list[GroupSummary]:
    """Every group, system groups first, then by name."""
    rows = database.obj.execute_sql(
        "SELECT g.name, g.description, COUNT(m.id), g.system FROM patient_group g "
        "LEFT JOIN group_member m ON m.group_id = g.id "
        "GROUP BY g.id ORDER BY g.system DESC, g.name COLLATE NOCASE"
    )
    return [GroupSummary(name, desc or "", n, bool(system)) for name, desc, n, system in rows]


def _practice_numbers() -> dict[str, int]:
    """Valid NHS number -> patient id, for every patient of the practice."""
    found: dict[str, int] = {}
    for pid, number in database.obj.execute_sql("SELECT id, nhs_number FROM patient ORDER BY id"):
        found.setdefault(nhs_number.normalise(number), pid)
    return found


def _as_lines(nhs_numbers: Iterable[str | NumberLine]) -> list[NumberLine]:
    """Plain strings are numbered 1, 2, 3... so messages can still point at them."""
    return [
        item if isinstance(item, NumberLine) else NumberLine(index, item)
        for index, item in enumerate(nhs_numbers, start=1)
    ]


def resolve_members(nhs_numbers: Iterable[str | NumberLine]) -> list[int]:
    """Patient ids for the numbers, or GroupError listing every bad line (first 20 shown)."""
    lines = _as_lines(nhs_numbers)
    if not lines:
        raise GroupError("There are no NHS numbers: give one per line.")
    known = _practice_numbers()
    members: list[int] = []
    problems: list[str] = []
    for line, text in lines:
        number = nhs_number.normalise(text)
        if not nhs_number.is_valid(number):
            problems.append(
                f'line {line}: "{text}" is not a valid NHS number (10 digits with a correct '
                "Modulus 11 check digit)"
            )
        elif number not in known:
            problems.append(
                f"line {line}: {nhs_number.format_334(number)} is not a patient of this practice"
            )
        else:
            members.append(known[number])
    if problems:
        raise GroupError(_problem_message(problems), problems)
    return sorted(set(members))


def _problem_message(problems: Sequence[str]) -> str:
    shown = list(problems[:MAX_PROBLEMS_SHOWN])
    if len(problems) > MAX_PROBLEMS_SHOWN:
        shown.append(f"and {len(problems) - MAX_PROBLEMS_SHOWN} more")
    return f"Nothing was saved: {len(problems)} NHS number(s) cannot be used.\n  " + "\n  ".join(
        shown
    )


def create_group(
    name: str,
    description: str,
    nhs_numbers: Iterable[str | NumberLine],
    replace: bool = False,
) -> GroupSummary:
    """Create (or, with `replace`, overwrite) a user group from NHS numbers, all or nothing.

    Duplicate numbers are accepted once. Raises GroupError for a bad name or description, a
    name in use without `replace`, a system group, or any number that is invalid or not a
    patient of this practice.
    """
    cleaned = check_name(name)
    desc = check_description(description)
    with database.obj.atomic():
        existing = _writable(cleaned, replace, "scrtui groups import --replace")
        return _write_group(existing, cleaned, desc, resolve_members(nhs_numbers))


def save_group_ids(
    name: str, description: str, patient_ids: Iterable[int], how: str = "new"
) -> GroupSummary:
    """A group from selected patients (the SCR Reporter's marks), by patient id so that
    patients with an invalid NHS number can be grouped too, to fix and resend them.

    how: "new" (refused if the name is taken), "replace" (overwrite) or "add" (to the
    existing members, keeping its description when none is given).
    """
    cleaned = check_name(name)
    ids = sorted(set(patient_ids))
    if not ids:
        raise GroupError("No patients are selected: mark some first.")
    with database.obj.atomic():
        existing = _writable(cleaned, how in ("replace", "add"), "overwrite it")
        if how == "add" and existing is not None:
            ids = sorted(set(ids) | set(group_member_ids(existing[1])))
            if not description.strip():
                description = _description_of(existing[0])
        known = {
            row[0]
            for row in database.obj.execute_sql(
                f"SELECT id FROM patient WHERE id IN ({','.join('?' * len(ids))})", ids
            )
        }
        if len(known) != len(ids):
            raise GroupError("Some selected patients are no longer in the practice: refresh.")
        return _write_group(existing, cleaned, check_description(description), ids)


def _description_of(group_id: int) -> str:
    row = database.obj.execute_sql(
        "SELECT description FROM patient_group WHERE id = ?", (group_id,)
    ).fetchone()
    return row[0] or "" if row else ""


def _writable(name: str, replace: bool, how_to_overwrite: str) -> tuple[int, str, bool] | None:
    """The existing group of this name if it may be overwritten, or None; else GroupError."""
    existing = find_group(name)
    if existing is not None and existing[2]:
        raise GroupError(f'"{existing[1]}" is a system group: it cannot be overwritten.')
    if existing is not None and not replace:
        raise GroupError(
            f'{IN_USE} Choose another name, or overwrite "{existing[1]}" ({how_to_overwrite}).'
        )
    return existing


def _write_group(
    existing: tuple[int, str, bool] | None, name: str, description: str, members: list[int]
) -> GroupSummary:
    if existing is not None:
        database.obj.execute_sql("DELETE FROM patient_group WHERE id = ?", (existing[0],))
    count = insert_group(name, description, False, members)
    return GroupSummary(name, description, count, False)


def delete_group(name: str) -> None:
    """Delete a user group and its membership (never the patients)."""
    existing = require_group(name)
    if existing[2]:
        raise GroupError(f'"{existing[1]}" is a system group: it cannot be deleted.')
    with database.obj.atomic():
        database.obj.execute_sql("DELETE FROM patient_group WHERE id = ?", (existing[0],))


def require_group(name: str) -> tuple[int, str, bool]:
    existing = find_group(name.strip())
    if existing is None:
        raise GroupError(f'There is no group called "{name.strip()}".')
    return existing


def group_member_ids(name: str) -> list[int]:
    """Patient ids in the group, ascending (what the engine narrows a mode by)."""
    existing = require_group(name)
    return [
        row[0]
        for row in database.obj.execute_sql(
            "SELECT patient_id FROM group_member WHERE group_id = ? ORDER BY patient_id",
            (existing[0],),
        )
    ]


def group_members(name: str) -> list[str]:
    """NHS numbers (as stored) of the group's patients, in NHS number order."""
    existing = require_group(name)
    return [
        row[0]
        for row in database.obj.execute_sql(
            "SELECT p.nhs_number FROM group_member m JOIN patient p ON p.id = m.patient_id "
            "WHERE m.group_id = ? ORDER BY p.nhs_number",
            (existing[0],),
        )
    ]
