"""The command line as the administrator's second walk met it (issue 22, text and keys):
bucket names written as the upload ids are (with hyphens; the underscore still works), and
`scrtui demo --help` describing --patients."""

from __future__ import annotations

from pathlib import Path


def test_a_bucket_is_accepted_with_a_hyphen_or_an_underscore(run_cli, seeded_template: Path):
    hyphen = run_cli(seeded_template, "report", "--bucket", "not-required", "--format", "json")
    underscore = run_cli(seeded_template, "report", "--bucket", "not_required", "--format", "json")
    assert hyphen.returncode == underscore.returncode == 0, hyphen.stderr + underscore.stderr
    assert hyphen.stdout == underscore.stdout
    wrong = run_cli(seeded_template, "report", "--bucket", "notrequired")
    assert wrong.returncode == 2
    assert "(choose from unprocessed, sending, sent, failed, not-required)" in wrong.stderr


def test_demo_help_describes_patients(run_cli, tmp_path: Path):
    shown = run_cli(tmp_path / "home", "demo", "--help")
    assert shown.returncode == 0
    words = " ".join(shown.stdout.split())  # however the terminal's width wraps it
    assert "--patients N seed a demo practice of N patients" in words
