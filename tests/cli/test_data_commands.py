"""The data commands through the installed console script, against a temporary --home."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import stat
from pathlib import Path

from tests.cli.conftest import PATIENTS

STATUS_KEYS = {
    "upload",
    "unprocessed",
    "sending",
    "sent",
    "failed",
    "not_required",
    "total",
    "status",
    "last_run",
}


def valid_numbers(home: Path, limit: int) -> list[str]:
    from scrtui.domain.nhs_number import is_valid

    with sqlite3.connect(home / "scrtui.db") as conn:
        rows = conn.execute("SELECT nhs_number FROM patient ORDER BY id").fetchall()
    return [n for (n,) in rows if is_valid(n)][:limit]


def test_seed_prints_one_line_and_refuses_a_second_time(run_cli, seeded: Path) -> None:
    again = run_cli(seeded, "seed", "--patients", "10")
    assert again.returncode == 2
    assert "already has 2,000 patients" in again.stderr and "--replace" in again.stderr
    replaced = run_cli(seeded, "seed", "--patients", "25", "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert len(replaced.stdout.strip().splitlines()) == 1
    assert replaced.stdout.startswith("Seeded 25 patients")


def test_status_json_has_exactly_the_documented_keys(run_cli, seeded_template: Path) -> None:
    result = run_cli(seeded_template, "status", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == STATUS_KEYS
    assert document["total"] == document["unprocessed"] == PATIENTS
    assert document["status"] == "idle" and document["last_run"] is None


def test_status_for_people(run_cli, seeded_template: Path) -> None:
    result = run_cli(seeded_template, "status")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Initial Upload status: idle"
    for label in ("Unprocessed", "Sending", "Sent", "Failed", "Not Required", "Total"):
        assert any(line.strip().startswith(label) for line in lines), label
    assert "2,000" in result.stdout
    assert lines[-1] == "Last run: none"


def test_report_csv_to_stdout_and_json_to_a_private_file(
    run_cli, seeded_template: Path, tmp_path
) -> None:
    result = run_cli(seeded_template, "report")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == PATIENTS
    assert list(rows[0]) == [
        "nhs_number",
        "name",
        "bucket",
        "reason_code",
        "reason_text",
        "last_attempt",
    ]
    assert rows[0]["nhs_number"].count(" ") == 2  # 3-3-4
    assert {row["bucket"] for row in rows} == {"unprocessed"}
    assert any("'" in row["name"] for row in rows)

    out = tmp_path / "report.json"
    result = run_cli(
        seeded_template,
        "report",
        "--bucket",
        "unprocessed",
        "--format",
        "json",
        "--output",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert len(json.loads(out.read_text(encoding="utf-8"))) == PATIENTS
    assert stat.S_IMODE(out.stat().st_mode) == 0o600

    empty = run_cli(seeded_template, "report", "--bucket", "sent", "--format", "json")
    assert json.loads(empty.stdout) == []
    wrong = run_cli(seeded_template, "report", "--bucket", "done")
    assert wrong.returncode == 2 and "invalid choice" in wrong.stderr


# One patient line of a practice extract, with the required fields only.
PATIENT = {
    "nhs_number": "943 476 5919",
    "forename": "Siân",
    "surname": "O'Brien",
    "date_of_birth": "1957-03-14",
    "gender": "female",
    "registration_status": "permanent",
    "registration_date": "2001-09-03",
}


def test_import_good_then_bad(run_cli, cli_home: Path, tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    patient = PATIENT
    good.write_text(
        json.dumps(patient)
        + "\n"
        + json.dumps({**patient, "nhs_number": "ABC1234", "surname": "Style"})
        + "\n",
        encoding="utf-8",
    )
    result = run_cli(cli_home, "import", str(good))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Imported 2 patients")

    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({**patient, "nhs_number": "999 000 0018"})
        + "\n"
        + json.dumps({**patient, "nhs_number": "9434765919"})
        + "\n"
        + json.dumps({**patient, "nhs_number": "9990000026", "gender": "F"})
        + "\n"
        + "not json\n",
        encoding="utf-8",
    )
    result = run_cli(cli_home, "import", str(bad))
    assert result.returncode == 2
    assert "nothing was imported: 3 problem(s)" in result.stderr
    assert "line 2, field nhs_number: NHS number 943 476 5919 is already in the database" in (
        result.stderr
    )
    assert 'line 3, field gender: "F" is not allowed' in result.stderr
    assert "line 4: not valid JSON" in result.stderr
    status = json.loads(run_cli(cli_home, "status", "--json").stdout)
    assert status["total"] == 2  # nothing from the bad file


def test_groups_import_list_and_refusals(run_cli, seeded: Path, tmp_path: Path) -> None:
    numbers = valid_numbers(seeded, 5)
    good = tmp_path / "group.txt"
    good.write_text(
        "# fixed after the first run\n"
        + "\n".join(f"{n[:3]} {n[3:6]} {n[6:]}" for n in numbers)
        + "\n\n",
        encoding="utf-8",
    )
    result = run_cli(seeded, "groups", "import", "FIXED", str(good), "--description", "Fixed")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == 'Saved group "FIXED" with 5 patients.'

    listing = run_cli(seeded, "groups", "list")
    assert listing.returncode == 0
    assert listing.stdout.splitlines()[0].split() == ["Name", "Members", "Description"]
    fixed = next(line for line in listing.stdout.splitlines() if line.startswith("FIXED"))
    assert fixed.split() == ["FIXED", "5", "Fixed"]
    assert any(line.startswith("$PAT") for line in listing.stdout.splitlines())

    taken = run_cli(seeded, "groups", "import", "FIXED", str(good))
    assert taken.returncode == 2
    assert "The group name you have chosen is already in use." in taken.stderr
    assert "--replace" in taken.stderr

    bad = tmp_path / "bad.txt"
    bad.write_text(f"{numbers[0]}\n12345\n9434765919\n", encoding="utf-8")
    refused = run_cli(seeded, "groups", "import", "FIXED", str(bad), "--replace")
    assert refused.returncode == 2
    assert 'line 2: "12345" is not a valid NHS number' in refused.stderr
    assert "line 3: 943 476 5919 is not a patient of this practice" in refused.stderr
    groups = json.loads(run_cli(seeded, "groups", "list", "--json").stdout)
    assert {"name": "FIXED", "description": "Fixed", "members": 5, "system": False} in groups

    system = run_cli(seeded, "groups", "import", "$PAT", str(good), "--replace")
    assert system.returncode == 2 and "system group" in system.stderr
    long_name = run_cli(seeded, "groups", "import", "TOOLONGNAME", str(good))
    assert long_name.returncode == 2 and "at most 10" in long_name.stderr


def test_files_are_private_and_the_log_has_events_but_no_clinical_content(
    run_cli, seeded: Path
) -> None:
    from scrtui.store.seed import ACUTE_DRUGS, ALLERGENS, REPEAT_DRUGS

    for path in (seeded / "scrtui.db", seeded / "logs" / "scrtui.jsonl"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for directory in (seeded, seeded / "logs"):
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700, directory
    log = (seeded / "logs" / "scrtui.jsonl").read_text(encoding="utf-8")
    events = [json.loads(line) for line in log.splitlines()]
    seed_event = next(e for e in events if e["event"] == "seed")
    assert seed_event["patients"] == PATIENTS and "timestamp" in seed_event
    for drug, _dose in REPEAT_DRUGS + ACUTE_DRUGS:
        assert drug.split()[0] not in log, drug
    for allergen in ALLERGENS:
        assert allergen not in log


def test_status_and_report_after_a_run(run_cli, seeded: Path) -> None:
    with sqlite3.connect(seeded / "scrtui.db") as conn:
        conn.execute(
            "INSERT INTO run (started_by, user_name, role_profile_id, job_role, mode, "
            "correlation_id, created_at, started_at, ended_at, outcome, outcome_reason) VALUES "
            "('555000000001', 'Demo Administrator', '555000000011', 'R0001', 'run', 'c-1', "
            "'2026-11-25 09:00:00', '2026-11-25 09:00:00', '2026-11-25 09:30:00', 'stopped', "
            "'completed')"
        )
        conn.execute(
            "INSERT INTO patient_upload (patient_id, bucket, reason_code, reason_text, "
            "pass_number, attempts) VALUES (1, 'not_required', 'NR06', 'Dissent', 1, 0), "
            "(2, 'sent', NULL, NULL, 1, 1)"
        )
        conn.execute("UPDATE upload SET status = 'stopped'")
    document = json.loads(run_cli(seeded, "status", "--json").stdout)
    assert (document["sent"], document["not_required"], document["unprocessed"]) == (
        1, 1, PATIENTS - 2,
    )  # fmt: skip
    assert document["last_run"]["user"] == "Demo Administrator"
    # For scripts: ISO dates and every id (docs/dates-and-ids.md).
    assert document["last_run"]["ended_at"] == "2026-11-25T09:30:00"
    assert (document["last_run"]["sds_user_id"], document["last_run"]["role_profile_id"]) == (
        "555000000001", "555000000011",
    )  # fmt: skip
    assert document["last_run"]["job_role"] == "R0001"
    # For people, as the app shows the run: the job role code, dates day first.
    human = run_cli(seeded, "status").stdout
    assert "Last run: Run by Demo Administrator (R0001)" in human
    assert "started 25/11/2026 09:00:00, ended 25/11/2026 09:30:00" in human
    assert "2026-11-25" not in human and "555000000011" not in human
    assert "stopped (completed)" in human
    report = run_cli(seeded, "report", "--bucket", "not_required").stdout.splitlines()
    assert len(report) == 2 and report[1].endswith(",not_required,NR06,Dissent,")


def test_data_commands_refuse_while_an_upload_holds_the_lock(run_cli, seeded: Path) -> None:
    from scrtui.store.db import UploadLock

    with UploadLock(seeded / "scrtui.db"):
        result = run_cli(seeded, "seed", "--patients", "10", "--replace")
    assert result.returncode == 2
    assert "another upload is running" in result.stderr
    assert "the data was not changed" in result.stderr
