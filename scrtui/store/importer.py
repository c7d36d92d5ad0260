"""`scrtui import FILE`: a practice extract in JSON Lines (format: docs/import-format.md).

The whole file is validated before anything is written; any problem means nothing is
imported. Then every line is written in one transaction. The file is read twice (validate,
then write) rather than held in memory, so a large practice does not need a large machine.
"""

from __future__ import annotations

import difflib
import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from scrtui.domain import nhs_number
from scrtui.domain.records import (
    CONSENT_CODES,
    GENDERS,
    LEGACY_CONSENT_CODES,
    RegistrationStatus,
)
from scrtui.settings import Settings
from scrtui.store.bulk import (
    AllergyRow,
    MedicationRow,
    PatientBatch,
    PatientRow,
    RoleProfileRow,
    insert_user,
    write_practice_row,
)
from scrtui.store.models import database, scalar_int

MAX_PROBLEMS_SHOWN = 20
BATCH = 5_000  # rows per executemany: bounded memory, still fast
# The longest line read: a real patient with years of medication is a few kB; a longer line is
# refused without being parsed, so a hostile file cannot make the reader hold gigabytes.
MAX_LINE_BYTES = 1_000_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode Cc: NUL, tab, CR, LF, ESC, C1
# Any \uD800-\uDFFF escape; most are halves of a valid pair (emoji), checked only then.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")

REGISTRATION_STATUSES = tuple(status.value for status in RegistrationStatus)
ALLERGY_KINDS = ("allergy", "adverse reaction")


@dataclass(frozen=True, slots=True)
class Problem:
    line: int
    field: str  # "" when the whole line is wrong
    what: str
    expected: str

    def __str__(self) -> str:
        if not self.line:  # about the whole file, not one line
            return printable(f"{self.what} ({self.expected})")
        where = f"line {self.line}, field {self.field}" if self.field else f"line {self.line}"
        return printable(f"{where}: {self.what} ({self.expected})")


def printable(text: str) -> str:
    """Escape what a terminal would act on (ESC, C1) or cannot print (lone surrogates): field
    names and values from the file end up in the message."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)


class ImportFileError(ValueError):
    """The file cannot be imported; nothing was written. The message lists the problems."""

    def __init__(self, problems: list[Problem], total: int) -> None:
        self.problems = problems
        self.total = total
        shown = [str(p) for p in problems[:MAX_PROBLEMS_SHOWN]]
        if total > len(shown):
            shown.append(f"and {total - len(shown)} more")
        super().__init__(
            f"nothing was imported: {total} problem(s) in the file\n  " + "\n  ".join(shown)
        )


@dataclass
class ImportResult:
    patients: int = 0
    medications: int = 0
    allergies: int = 0
    users: int = 0
    role_profiles: int = 0
    invalid_nhs_numbers: int = 0  # imported, but they will be Not Required
    seconds: float = 0.0

    def line(self, source: str) -> str:
        text = (
            f"Imported {self.patients:,} patients ({self.medications:,} medications, "
            f"{self.allergies:,} allergies) and {self.users:,} users from {source} "
            f"in {self.seconds:.1f} s"
        )
        if self.invalid_nhs_numbers:
            text += (
                f"; {self.invalid_nhs_numbers:,} have an invalid or old-style NHS number and "
                "will be Not Required"
            )
        return text + "."


# --- Field checks ------------------------------------------------------------------------------
# Each check returns the value to store or raises _Bad(what, expected).


class _Bad(Exception):
    def __init__(self, what: str, expected: str) -> None:
        super().__init__(what)
        self.what = what
        self.expected = expected


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "..."


def _sane(value: str, max_len: int) -> str:
    """Text as the Spine message and the screens can carry it: bounded, no control characters
    (a NUL, tab or escape in a name is a broken extract, not a name)."""
    if len(value) > max_len:
        raise _Bad(f"{_show(value)} is {len(value):,} characters long", f"at most {max_len}")
    found = _CONTROL.search(value)
    if found:
        raise _Bad(
            f"{_show(value)} contains the control character U+{ord(found.group()):04X}",
            "text without control characters (no NUL, tab or line break)",
        )
    return value.strip()


def _text(max_len: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise _Bad(f"{_show(value)} is not text", "a non-empty string")
        return _sane(value, max_len)

    return check


def _optional_text(max_len: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise _Bad(f"{_show(value)} is not text", "a string, or null")
        return _sane(value, max_len)

    return check


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"{_show(value)} is not true or false", "true or false")
    return value


def _date(value: Any) -> str:
    if not isinstance(value, str):
        raise _Bad(f"{_show(value)} is not a date", "a date as YYYY-MM-DD")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise _Bad(f"{_show(value)} is not a date", "a real date as YYYY-MM-DD") from None
    if len(value) != 10:  # fromisoformat also takes 20240131 and 2024-W05-3
        raise _Bad(f"{_show(value)} is not a date", "a date as YYYY-MM-DD")
    return parsed.isoformat()


def _optional_date(value: Any) -> str | None:
    return None if value is None else _date(value)


def _choice(*options: str | None) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value not in options:
            listed = ", ".join("null" if o is None else f'"{o}"' for o in options)
            raise _Bad(f"{_show(value)} is not allowed", f"one of {listed}")
        return value

    return check


def _digits(count: int) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if (
            not isinstance(value, str)
            or len(value) != count
            or not value.isascii()
            or not value.isdigit()
        ):
            raise _Bad(f"{_show(value)} is not an id", f"a string of {count} digits")
        return value

    return check


# Text limits (docs/import-format.md): generous for real records, small enough for a screen.
NAME_MAX = 100
CLINICAL_TEXT_MAX = 1000
ACTIVITY_MAX = 16

# A field: (check, required, default when absent).
Spec = dict[str, tuple[Callable[[Any], Any], bool, Any]]

PATIENT_FIELDS: Spec = {
    "type": (_choice("patient"), False, "patient"),
    "nhs_number": (_text(20), True, None),
    "forename": (_text(NAME_MAX), True, None),
    "surname": (_text(NAME_MAX), True, None),
    "date_of_birth": (_date, True, None),
    "gender": (_choice(*GENDERS), True, None),
    "postcode": (_optional_text(16), False, ""),
    "registration_status": (_choice(*REGISTRATION_STATUSES), True, None),
    "registration_date": (_date, True, None),
    "fp69": (_bool, False, False),
    "sensitive": (_bool, False, False),
    "consent_code": (_choice(*CONSENT_CODES, *LEGACY_CONSENT_CODES, None), False, None),
    "national_summary": (_bool, False, False),
    "national_summary_date": (_optional_date, False, None),
    "pds_linked": (_bool, False, True),
    "medications": (lambda v: v, False, []),  # checked item by item below
    "allergies": (lambda v: v, False, []),
}
MEDICATION_FIELDS: Spec = {
    "drug": (_text(CLINICAL_TEXT_MAX), True, None),
    "dose": (_text(CLINICAL_TEXT_MAX), True, None),
    "repeat": (_bool, True, None),
    "start": (_date, True, None),
    "last_issue": (_optional_date, False, None),
    "review_date": (_optional_date, False, None),
    "discontinued": (_optional_date, False, None),
}
ALLERGY_FIELDS: Spec = {
    "substance": (_text(CLINICAL_TEXT_MAX), True, None),
    "reaction": (_text(CLINICAL_TEXT_MAX), True, None),
    "recorded": (_date, True, None),
    "kind": (_choice(*ALLERGY_KINDS), False, "allergy"),
}
USER_FIELDS: Spec = {
    "type": (_choice("user"), True, None),
    "sds_user_id": (_digits(12), True, None),
    "name": (_text(NAME_MAX), True, None),
    "role_profiles": (lambda v: v, True, None),
}
ROLE_PROFILE_FIELDS: Spec = {
    "role_profile_id": (_digits(12), True, None),
    "job_role_code": (_text(20), True, None),
    "job_role_name": (_text(NAME_MAX), True, None),
    "activities": (lambda v: v, True, None),
}


def _check_object(
    obj: Any, spec: Spec, line: int, prefix: str, problems: list[Problem]
) -> dict[str, Any] | None:
    """Checked values by field name (defaults where absent or wrong, so that later checks
    can still run and report everything in one go), or None when `obj` is not an object.
    Problems are appended; the caller compares their count to tell good from bad."""
    if not isinstance(obj, dict):
        problems.append(
            Problem(line, prefix.rstrip("."), f"{_show(obj)} is not an object", "a JSON object")
        )
        return None
    out: dict[str, Any] = {}
    for key in getattr(obj, "duplicates", ()):
        problems.append(
            Problem(line, prefix + key, "given more than once", "each field once per object")
        )
    for key in obj:
        if key not in spec:
            close = difflib.get_close_matches(str(key), list(spec), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            problems.append(
                Problem(line, prefix + key, "unknown field", f"{hint}see docs/import-format.md")
            )
    for key, (check, required, default) in spec.items():
        out[key] = default
        if key not in obj:
            if required:
                problems.append(Problem(line, prefix + key, "missing", "a required field"))
            continue
        try:
            out[key] = check(obj[key])
        except _Bad as bad:
            problems.append(Problem(line, prefix + key, bad.what, bad.expected))
    return out


def _check_list(
    value: Any, spec: Spec, line: int, name: str, problems: list[Problem]
) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        problems.append(Problem(line, name, f"{_show(value)} is not a list", "a JSON array"))
        return []
    items = []
    for index, item in enumerate(value):
        checked = _check_object(item, spec, line, f"{name}[{index}].", problems)
        if checked is not None:
            items.append(checked)
    return items


def _check_date_order(
    record: dict[str, Any], line: int, problems: list[Problem], today: str
) -> None:
    """Dates that contradict each other or lie in the future are data errors, not choices."""
    born = record["date_of_birth"]
    if born > today:
        problems.append(Problem(line, "date_of_birth", f"{born} is in the future", "a past date"))
    if record["registration_date"] > today:
        problems.append(
            Problem(
                line,
                "registration_date",
                f"{record['registration_date']} is in the future",
                "a past date",
            )
        )
    if record["registration_date"] < born:
        problems.append(
            Problem(
                line,
                "registration_date",
                f"{record['registration_date']} is before birth",
                "a date on or after date_of_birth",
            )
        )
    for index, med in enumerate(record["medications"]):
        if med["discontinued"] and med["discontinued"] < med["start"]:
            problems.append(
                Problem(
                    line,
                    f"medications[{index}].discontinued",
                    f"{med['discontinued']} is before the start",
                    "a date on or after start",
                )
            )


@dataclass
class _Line:
    kind: str  # "patient" or "user"
    values: dict[str, Any]
    valid_number: str | None = None  # the normalised NHS number when it is valid
    role_ids: list[str] = field(default_factory=list)


def _check_patient(obj: dict[str, Any], line: int, problems: list[Problem], today: str) -> _Line:
    before = len(problems)
    record = _check_object(obj, PATIENT_FIELDS, line, "", problems) or {}
    if record:
        record["medications"] = _check_list(
            record["medications"], MEDICATION_FIELDS, line, "medications", problems
        )
        record["allergies"] = _check_list(
            record["allergies"], ALLERGY_FIELDS, line, "allergies", problems
        )
    if len(problems) == before:
        _check_date_order(record, line, problems, today)
    number = nhs_number.normalise(record.get("nhs_number") or "")
    return _Line("patient", record, number if nhs_number.is_valid(number) else None)


def _check_user(obj: dict[str, Any], line: int, problems: list[Problem]) -> _Line:
    record = _check_object(obj, USER_FIELDS, line, "", problems) or {}
    profiles: list[dict[str, Any]] = []
    if record and record["role_profiles"] is not None:
        profiles = _check_list(
            record["role_profiles"], ROLE_PROFILE_FIELDS, line, "role_profiles", problems
        )
        if record["role_profiles"] == []:
            problems.append(Problem(line, "role_profiles", "empty", "at least one role profile"))
        for index, profile in enumerate(profiles):
            codes = profile["activities"]
            if codes is None:
                continue  # reported as missing
            if not isinstance(codes, list) or not all(
                isinstance(c, str)
                and c.strip()
                and "," not in c
                and len(c) <= ACTIVITY_MAX
                and not _CONTROL.search(c)
                for c in codes
            ):
                problems.append(
                    Problem(
                        line,
                        f"role_profiles[{index}].activities",
                        f"{_show(codes)} is wrong",
                        'a list of activity codes such as ["B0062", "B0370"]',
                    )
                )
        record["role_profiles"] = profiles
    return _Line("user", record, role_ids=[p["role_profile_id"] for p in profiles])


class _Object(dict):  # type: ignore[type-arg]
    """A JSON object that remembers the keys it was given more than once (json keeps the last
    silently, so a second "surname" would overwrite the first unseen)."""

    duplicates: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    obj = _Object(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        twice: list[str] = []
        for key, _value in pairs:
            if key in seen:
                twice.append(key)
            seen.add(key)
        obj.duplicates = tuple(twice)
    return obj


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _read_lines(path: Path) -> Iterator[tuple[int, str | Problem]]:
    """(line number, text) for each non-blank line, or a Problem for a line that is not UTF-8
    or longer than MAX_LINE_BYTES (skipped without being held in memory)."""
    with path.open("rb") as handle:
        number = 0
        while raw := handle.readline(MAX_LINE_BYTES + 1):
            number += 1
            if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
                while (rest := handle.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                    pass
                yield (
                    number,
                    Problem(
                        number, "", "the line is too long", f"at most {MAX_LINE_BYTES:,} bytes"
                    ),
                )
                continue
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                yield number, Problem(number, "", "not UTF-8 text", "the file saved as UTF-8")
                continue
            if text.strip():
                yield number, text


def _decode(number: int, text: str) -> Any:
    """The line's JSON value, or a Problem: whatever the reader cannot take (an invalid
    escape, NaN, a number of thousands of digits, nesting deeper than Python's stack, a lone
    surrogate that no UTF-8 database or terminal can hold) is a problem of that line."""
    expected = "one JSON object per line"
    try:
        obj = json.loads(text, object_pairs_hook=_object, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        return Problem(number, "", f"not valid JSON ({exc.msg} at column {exc.colno})", expected)
    except RecursionError:
        return Problem(number, "", "not valid JSON (nested too deeply)", expected)
    except ValueError as exc:  # NaN/Infinity, or an integer beyond Python's digit limit
        return Problem(number, "", f"not valid JSON ({str(exc).split(';')[0]})", expected)
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(obj, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            return Problem(
                number, "", "a \\u escape is half a character (a lone surrogate)", "UTF-8 text"
            )
    return obj


def _parse(path: Path, problems: list[Problem], today: str) -> Iterator[tuple[int, _Line]]:
    """Every line checked; problems are appended, good lines yielded."""
    for number, text in _read_lines(path):
        obj = text if isinstance(text, Problem) else _decode(number, text)
        if isinstance(obj, Problem):
            problems.append(obj)
            continue
        if not isinstance(obj, dict):
            problems.append(
                Problem(number, "", f"{_show(obj)} is not an object", "one JSON object per line")
            )
            continue
        kind = obj.get("type", "patient")
        if kind not in ("patient", "user"):
            problems.append(
                Problem(number, "type", f"{_show(kind)} is not allowed", 'one of "patient", "user"')
            )
            continue
        before = len(problems)
        if kind == "user":
            parsed = _check_user(obj, number, problems)
        else:
            parsed = _check_patient(obj, number, problems, today)
        if len(problems) == before:
            yield number, parsed


# --- Validation and writing --------------------------------------------------------------------


def _existing_keys() -> tuple[set[str], set[str], set[str]]:
    """Valid NHS numbers, SDS user ids and role profile ids already in the database."""
    db = database.obj
    numbers = {
        n
        for (raw,) in db.execute_sql("SELECT nhs_number FROM patient")
        if nhs_number.is_valid(n := nhs_number.normalise(raw))
    }
    users = {row[0] for row in db.execute_sql('SELECT sds_user_id FROM "user"')}
    roles = {row[0] for row in db.execute_sql("SELECT role_profile_id FROM user_role_profile")}
    return numbers, users, roles


def _check_unique(
    key: str, seen: dict[str, int], existing: set[str], where: tuple[int, str], shown: str
) -> Problem | None:
    """A problem if `key` is already in the database or earlier in the file."""
    line, name = where
    if key in existing:
        return Problem(line, name, f"{shown} is already in the database", "each one only once")
    if key in seen:
        return Problem(line, name, f"{shown} is also on line {seen[key]}", "each one only once")
    seen[key] = line
    return None


def _duplicates(
    line: int,
    parsed: _Line,
    existing: tuple[set[str], set[str], set[str]],
    seen: tuple[dict[str, int], dict[str, int], dict[str, int]],
) -> list[Problem]:
    """Valid NHS numbers, SDS user ids and role profile ids must be unique."""
    found: list[Problem | None] = []
    if parsed.kind == "patient" and parsed.valid_number:
        shown = f"NHS number {nhs_number.format_334(parsed.valid_number)}"
        found.append(
            _check_unique(parsed.valid_number, seen[0], existing[0], (line, "nhs_number"), shown)
        )
    if parsed.kind == "user":
        user_id = parsed.values["sds_user_id"]
        found.append(
            _check_unique(
                user_id, seen[1], existing[1], (line, "sds_user_id"), f"SDS user id {user_id}"
            )
        )
        for index, role in enumerate(parsed.role_ids):
            where = (line, f"role_profiles[{index}].role_profile_id")
            found.append(_check_unique(role, seen[2], existing[2], where, f"role profile {role}"))
    return [p for p in found if p is not None]


def validate_file(path: Path, today: date | None = None) -> int:
    """Check the whole file against the format and the database; returns the line count.

    Raises ImportFileError with every problem (the first 20 are in the message).
    """
    _check_readable(path)
    problems: list[Problem] = []
    existing = _existing_keys()
    seen: tuple[dict[str, int], dict[str, int], dict[str, int]] = ({}, {}, {})
    count = 0
    iso_today = (today or date.today()).isoformat()
    for line, parsed in _parse(path, problems, iso_today):
        count += 1
        problems.extend(_duplicates(line, parsed, existing, seen))
    if count == 0 and not problems:
        problems.append(Problem(0, "", "the file is empty", "one JSON object per line"))
    if problems:
        problems.sort(key=lambda p: p.line)
        raise ImportFileError(problems[:MAX_PROBLEMS_SHOWN], len(problems))
    return count


def _check_readable(path: Path) -> None:
    """Say what is wrong with the path itself: missing, a folder, or not readable."""
    if path.is_dir():
        what = "is a folder, not a file"
    elif not path.exists():
        what = "no such file"
    else:
        try:
            path.open("rb").close()
            return
        except OSError as exc:
            what = f"cannot be read ({exc.strerror or exc})"
    raise ImportFileError([Problem(0, "", what, "a JSON Lines file you can read")], 1)


class _Writer:
    """Turns checked lines into rows, flushed in batches inside the caller's transaction."""

    def __init__(self, first_patient_id: int) -> None:
        self.next_id = first_patient_id
        self.result = ImportResult()
        self.rows = PatientBatch()

    def patient(self, line: _Line) -> None:
        v = line.values
        pid = self.next_id
        self.next_id += 1
        self.rows.patients.append(
            PatientRow(
                pid,
                line.valid_number or v["nhs_number"],
                v["forename"],
                v["surname"],
                v["date_of_birth"],
                v["gender"],
                v["postcode"],
                v["registration_status"],
                v["registration_date"],
                bool(v["fp69"]),
                bool(v["sensitive"]),
                v["consent_code"],
                bool(v["national_summary"]),
                v["national_summary_date"],
                bool(v["pds_linked"]),
            )
        )
        self.rows.medications.extend(
            MedicationRow(
                pid,
                bool(m["repeat"]),
                m["drug"],
                m["dose"],
                m["start"],
                m["last_issue"],
                m["review_date"],
                m["discontinued"],
            )
            for m in v["medications"]
        )
        self.rows.allergies.extend(
            AllergyRow(pid, a["substance"], a["reaction"], a["kind"], a["recorded"])
            for a in v["allergies"]
        )
        self.result.patients += 1
        self.result.medications += len(v["medications"])
        self.result.allergies += len(v["allergies"])
        self.result.invalid_nhs_numbers += line.valid_number is None
        if len(self.rows.patients) >= BATCH:
            self.rows.flush()

    def user(self, line: _Line) -> None:
        v = line.values
        profiles = [
            RoleProfileRow(
                p["role_profile_id"],
                p["job_role_code"],
                p["job_role_name"],
                ",".join(code.strip() for code in p["activities"]),
            )
            for p in v["role_profiles"]
        ]
        # Uniqueness was checked against the file and the database before the write began.
        insert_user(v["sds_user_id"], v["name"], profiles, keep_existing=False)
        self.result.users += 1
        self.result.role_profiles += len(profiles)


@contextmanager
def _read_errors() -> Iterator[None]:
    """A read failing half-way (an I/O error, a file removed on a network share) rolls the
    transaction back and is said as a problem, not a traceback."""
    try:
        yield
    except OSError as exc:
        raise ImportFileError(
            [Problem(0, "", f"reading failed ({exc.strerror or exc})", "a file you can read")], 1
        ) from None


def import_file(
    path: Path,
    settings: Settings,
    today: date | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> ImportResult:
    """Validate the whole file, then import it in one transaction (all or nothing)."""
    started = clock()
    db = database.obj
    iso_today = (today or date.today()).isoformat()
    # The write lock is taken before validating, so the duplicate check still holds at commit.
    with db.atomic("IMMEDIATE"), _read_errors():
        validate_file(path, today)
        writer = _Writer(scalar_int("SELECT COALESCE(MAX(id), 0) FROM patient") + 1)
        write_practice_row(settings, replace=False)
        problems: list[Problem] = []
        for _line, parsed in _parse(path, problems, iso_today):
            if parsed.kind == "user":
                writer.user(parsed)
            else:
                writer.patient(parsed)
        if problems:  # the file changed between the two passes: keep nothing
            raise ImportFileError(problems[:MAX_PROBLEMS_SHOWN], len(problems))
        writer.rows.flush()
    writer.result.seconds = clock() - started
    return writer.result
