"""`scrtui report --run last` and `scrtui upload --mode preview` as a user runs them."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import urllib.request

import pytest

from tests.engine.test_upload_cli import practice, practice_template, simulator_url, upload  # noqa: F401

pytestmark = pytest.mark.usefixtures("simulator_url")


def control(url: str, **changes: object) -> None:
    request = urllib.request.Request(
        url + "control", data=json.dumps(changes).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def eligible_numbers(home) -> list[str]:
    with sqlite3.connect(home / "scrtui.db") as conn:
        rows = conn.execute(
            "SELECT nhs_number FROM patient WHERE registration_status = 'permanent' "
            "AND sensitive = 0 AND fp69 = 0 AND pds_linked = 1 AND consent_code IS NULL "
            "AND national_summary = 0 ORDER BY id LIMIT 3"
        ).fetchall()
    return [r[0] for r in rows]


@pytest.fixture(scope="module")
def finished_template(practice_template, simulator_url, tmp_path_factory, run_cli):  # noqa: F811
    """One completed Initial Upload per module, in which the Spine refused two patients: the
    report tests only read it, each from its own copy."""
    home = tmp_path_factory.mktemp("finished") / "home"
    shutil.copytree(practice_template, home)
    control(simulator_url, pds_practice_db=str(home / "scrtui.db"))
    rejected = eligible_numbers(home)[:2]
    control(simulator_url, reject_nhs_numbers=rejected)
    try:
        result = upload(home, "--mode", "run", "--mhs-url", simulator_url, "--yes")
    finally:
        control(simulator_url, reject_nhs_numbers=[])
    assert result.returncode == 0, result.stderr
    assert "Completion report: scrtui report --run last --format html" in result.stdout
    status = json.loads(run_cli(home, "status", "--json").stdout)
    return home, rejected, status


@pytest.fixture
def finished(finished_template, tmp_path):
    """A copy of the module's completed Initial Upload."""
    template, rejected, status = finished_template
    home = tmp_path / "home"
    shutil.copytree(template, home)
    return home, rejected, status


def test_the_json_report_names_who_ran_it_and_agrees_with_status(finished, run_cli):
    home, rejected, status = finished
    result = run_cli(home, "report", "--run", "last", "--format", "json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["run_by"] == {
        "name": "Demo Administrator",
        "sds_user_id": "555000000001",
        "role_profile_id": status["last_run"]["role_profile_id"],
        "job_role": doc["run_by"]["job_role"],
    }
    assert doc["practice"] == {"ods_code": "A12345", "name": "Demo Practice"}
    assert (doc["upload"], doc["mode"], doc["outcome"]) == ("initial", "run", "completed")
    for key in ("unprocessed", "sending", "sent", "failed", "not_required", "total"):
        assert doc["upload_counts"][key] == status[key], key
    assert sorted(f["nhs_number"] for f in doc["failed"]) == sorted(rejected)
    assert all("use Failed" in f["what_to_do"] for f in doc["failed"])
    failed_reasons = [r for r in doc["reasons"] if r["bucket"] == "failed"]
    assert sum(r["patients"] for r in failed_reasons) == 2
    not_required = sum(r["patients"] for r in doc["reasons"] if r["bucket"] == "not_required")
    assert not_required == status["not_required"]
    assert all(r["text"] for r in doc["reasons"])  # each code with its words
    assert doc["pauses"] == []
    assert "no clinical content" in doc["footer"]


def test_the_csv_report_has_a_row_per_figure_and_the_failed_numbers(finished, run_cli):
    home, rejected, status = finished
    result = run_cli(home, "report", "--run", "last", "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    counts = {r["code"]: int(r["value"]) for r in rows if r["section"] == "upload counts"}
    assert counts["sent"] == status["sent"] and counts["total"] == status["total"]
    assert sorted(r["item"] for r in rows if r["section"] == "failed") == sorted(rejected)
    assert rows[-1]["section"] == "footer"


def test_the_html_report_is_written_private_and_self_contained(finished, run_cli, tmp_path):
    home, _rejected, _status = finished
    target = tmp_path / "report.html"
    result = run_cli(home, "report", "--run", "last", "--format", "html", "--output", str(target))
    assert result.returncode == 0, result.stderr
    page = target.read_text()
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    assert "<script" not in page and "http://" not in page.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert page.count("<svg") == 2  # the reasons and the sending rate
    nowhere = tmp_path / "no-such-folder" / "report.html"
    result = run_cli(home, "report", "--run", "last", "--format", "html", "--output", str(nowhere))
    assert result.returncode == 2 and "cannot write the report" in result.stderr
    assert "Traceback" not in result.stderr and not nowhere.parent.exists()


def test_the_report_of_a_run_the_mhs_stopped_says_nobody_failed_and_resume_continues(
    practice,  # noqa: F811
    simulator_url,  # noqa: F811
    run_cli,
):
    control(simulator_url, route_error=True)
    try:
        result = upload(practice, "--mode", "run", "--mhs-url", simulator_url, "--yes")
    finally:
        control(simulator_url, route_error=False)
    assert result.returncode == 3, result.stderr
    assert "Completion report: scrtui report --run last --format html" in result.stdout
    status = json.loads(run_cli(practice, "status", "--json").stdout)
    doc = json.loads(run_cli(practice, "report", "--run", "last", "--format", "json").stdout)
    assert doc["outcome"] == "stopped: the MHS adaptor's set-up is wrong"
    assert "answered 500 'Error obtaining outbound URL'" in doc["outcome_detail"]
    assert doc["failed"] == [] and doc["run_counts"]["failed"] == 0 == status["failed"]
    waiting = status["sending"] + status["unprocessed"]
    assert waiting > 0
    assert (
        f"It marked nobody Failed. Resume continues the {waiting:,} patients" in (doc["next_step"])
    )
    rows = list(csv.DictReader(io.StringIO(
        run_cli(practice, "report", "--run", "last", "--format", "csv").stdout
    )))  # fmt: skip
    assert [r["text"] for r in rows if r["item"] == "next step"] == [doc["next_step"]]
    page = run_cli(practice, "report", "--run", "last", "--format", "html").stdout
    assert "It marked nobody Failed." in page and "Error obtaining outbound URL" in page
    resumed = upload(practice, "--mode", "resume", "--mhs-url", simulator_url, "--yes")
    assert resumed.returncode == 0, resumed.stderr
    doc = json.loads(run_cli(practice, "report", "--run", "last", "--format", "json").stdout)
    assert (doc["mode"], doc["outcome"], doc["next_step"]) == ("resume", "completed", "")


def test_a_report_before_any_run_is_refused_with_the_reason(practice, run_cli):  # noqa: F811
    result = run_cli(practice, "report", "--run", "last", "--upload", "bulk-update")
    assert result.returncode == 2
    assert "has not been run yet" in result.stderr
    result = run_cli(practice, "report", "--format", "html")
    assert result.returncode == 2 and "--run last" in result.stderr
    result = run_cli(practice, "report", "--run", "abc")
    assert result.returncode == 2 and "expected last or a run number" in result.stderr
    result = run_cli(practice, "report", "--run", "99")
    assert result.returncode == 2 and "there is no run 99 of the Initial Upload" in result.stderr
    assert "Traceback" not in result.stderr


def test_preview_json_prints_counts_and_rows_and_sends_nothing(practice, simulator_url, run_cli):  # noqa: F811
    before = run_cli(practice, "status", "--json").stdout
    result = upload(practice, "--mode", "preview", "--mhs-url", simulator_url, "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["preview"] is True and doc["mode"] == "run" and doc["pds_checked"] is True
    assert doc["would_send"] + doc["would_not_send"] + doc["undecided"] == doc["total"] == 200
    assert len(doc["rows"]) == 200 and doc["would_send"] > 0
    assert sum(r["patients"] for r in doc["reasons"]) == doc["would_not_send"]
    assert run_cli(practice, "status", "--json").stdout == before  # nothing changed
    # Then the Run sends exactly the would-send patients.
    assert upload(practice, "--mode", "run", "--mhs-url", simulator_url, "--yes").returncode == 0
    status = json.loads(run_cli(practice, "status", "--json").stdout)
    assert status["sent"] == doc["would_send"]


def test_preview_of_an_upload_without_pds_needs_no_card(practice, run_cli):  # noqa: F811
    args = ("--mode", "preview", "--upload", "bulk-update", "--of", "rerun")
    result = upload(practice, *args, passcode=None)
    assert result.returncode == 0, result.stderr
    assert "Bulk Update - Preview of Rerun" in result.stdout
    assert re.search(r"Would send +0\n", result.stdout), result.stdout
    assert "NR08" in result.stdout  # nobody has a summary from this practice to update
    # An option that cannot start while GP Summary is on is still previewed, and says so.
    result = upload(practice, "--mode", "preview", "--upload", "no-longer-contributing",
                    "--json", passcode=None)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (
        "not available until GP Summary has been switched off"
        in json.loads(result.stdout)["blocked"]
    )
    result = upload(practice, "--mode", "run", "--of", "failed", "--yes")
    assert result.returncode == 2 and "--of goes with --mode preview" in result.stderr
