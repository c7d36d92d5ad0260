"""`scrtui backup` and the commands' output on the edges: odd names, missing folders, a full
disk (a real tmpfs), a report file it cannot write, and a reader that closes the pipe early."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.conftest import cli_env, scrtui_executable
from tests.engine.test_full_disk import small_tmpfs


def refused(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_backup_names_that_cannot_be_used_are_refused(run_cli, seeded: Path, tmp_path: Path):
    os.chdir(tmp_path)
    refused(run_cli(seeded, "backup", str(tmp_path / ("x" * 300))), "File name too long")
    refused(run_cli(seeded, "backup", f"{tmp_path}/nowhere/"), "is not a folder")
    assert not (tmp_path / "nowhere").exists()  # not a file named like the folder
    refused(run_cli(seeded, "backup", ""), "needs a FILE name")
    assert sorted(os.listdir(tmp_path)) == ["home"]  # nothing written in the current folder


def test_a_backup_onto_a_full_disk_says_so_and_leaves_nothing(run_cli, seeded, tmp_path):
    size_mb = (seeded / "scrtui.db").stat().st_size / 2**20
    # Room for half of the copy: it fails part-way, with SQLite's journal beside it.
    with small_tmpfs(tmp_path / "disk", size_mb / 2) as disk:
        result = run_cli(seeded, "backup", str(disk / "copy.db"))
        refused(result, "is full")
        assert os.listdir(disk) == []  # no copy, no .part, no .part-journal


def test_a_report_file_that_cannot_be_written_is_refused(run_cli, seeded, tmp_path):
    result = run_cli(seeded, "report", "--output", str(tmp_path / "missing" / "r.csv"))
    refused(result, "cannot write the report")
    result = run_cli(
        seeded, "report", "--upload", "consent-migration", "--changes",
        "--output", str(tmp_path / "missing" / "c.csv"),
    )  # fmt: skip
    refused(result, "cannot write the report")


def test_a_reader_that_closes_the_pipe_early_is_not_an_error(seeded: Path):
    for command in ("status", "report", "groups list"):
        done = subprocess.run(
            [
                "bash",
                "-c",
                f"{scrtui_executable()} --home {seeded} {command} | true; exit ${{PIPESTATUS[0]}}",
            ],
            capture_output=True,
            text=True,
            env=cli_env(),
            check=False,
        )
        assert done.returncode == 0
        assert done.stderr == "", (command, done.stderr)
