"""CSV that a spreadsheet opens: names that look like formulas are written as text (OWASP:
a leading single quote), in `scrtui report` and in the SCR Reporter's export alike."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from scrtui.domain.spreadsheet import as_text
from scrtui.paths import Home
from scrtui.settings import Settings
from scrtui.store.db import close_database
from tests.cli.test_data_commands import PATIENT

HOSTILE_SURNAMES = ['=HYPERLINK("http://x")', "+44 1234", "-2+3", "@SUM(A1)"]
# An older database may hold what import now refuses: tab and carriage return first.
STORED_ONLY = ["\tTabbed", "\rReturned"]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Smith, =x", "Smith, =x"),  # only the first character matters to a spreadsheet
        ("O'Brien", "O'Brien"),
        ("", ""),
        (None, None),
    ],
)
def test_the_rule(cell: str | None, written: str | None) -> None:
    assert as_text(cell) == written


@pytest.fixture
def practice(run_cli, cli_home: Path, tmp_path: Path) -> Path:
    extract = tmp_path / "formulas.jsonl"
    base = {**PATIENT, "forename": "Ann"}
    lines = [
        json.dumps({**base, "nhs_number": f"ABC{i:04d}", "surname": surname})
        for i, surname in enumerate(HOSTILE_SURNAMES)
    ]
    lines.append(json.dumps({**base, "nhs_number": "=cmd|' /C calc'!A0", "surname": "Plain"}))
    extract.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli(cli_home, "import", str(extract))
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(cli_home / "scrtui.db") as conn:
        for i, surname in enumerate(STORED_ONLY):
            conn.execute(
                "INSERT INTO patient (nhs_number, forename, surname, date_of_birth, gender, "
                "postcode, registration_status, registration_date, fp69, sensitive, "
                "national_summary, pds_linked) VALUES (?, 'Ann', ?, '1950-01-01', 'female', "
                "'', 'permanent', '2000-01-01', 0, 0, 0, 1)",
                (f"OLD{i:04d}", surname),
            )
    return cli_home


def _read_as_written(path: Path) -> str:
    with path.open(encoding="utf-8", newline="") as handle:
        return handle.read()


def _cells(text: str) -> list[str]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    return [cell for row in rows[1:] for cell in row]


def _assert_safe(text: str) -> None:
    cells = _cells(text)
    for surname in HOSTILE_SURNAMES + STORED_ONLY:
        assert f"'{surname}, Ann" in cells, surname
    assert "'=cmd|' /C calc'!A0" in cells
    assert not [c for c in cells if c and c[0] in "=+-@\t\r"]


def test_report_csv_quotes_formula_cells(run_cli, practice: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.csv"  # a file, read as written (stdout text mode turns CR to LF)
    result = run_cli(practice, "report", "--format", "csv", "--output", str(out))
    assert result.returncode == 0, result.stderr
    _assert_safe(_read_as_written(out))
    as_json = json.loads(run_cli(practice, "report", "--format", "json").stdout)
    assert '=HYPERLINK("http://x"), Ann' in {row["name"] for row in as_json}  # JSON as is


async def test_the_reporter_export_quotes_formula_cells(practice: Path) -> None:
    from scrtui.wiring import create_services

    services = create_services(Home(practice), Settings(), card="simulated")
    try:
        path = Path(await services.export_report(None, "", "name"))
    finally:
        services.close()
        close_database()
    _assert_safe(_read_as_written(path))
