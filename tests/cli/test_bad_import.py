"""`scrtui import` on hostile extracts: every line the JSON reader cannot take, text that is
not sane, keys given twice, files that cannot be read. Each is a problem by line (and field),
exit code 2, never a traceback, nothing imported."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_data_commands import PATIENT

GOOD: dict[str, Any] = PATIENT


def line(**changes: Any) -> str:
    return json.dumps({**GOOD, **changes}, ensure_ascii=False)


def raw_with(field: str, raw_json_value: str) -> str:
    """A line whose `field` is written as raw JSON text (what json.dumps would not write)."""
    body = json.dumps({k: v for k, v in GOOD.items() if k != field}, ensure_ascii=False)
    return body[:-1] + f', "{field}": {raw_json_value}}}'


# Each hostile line, and what the message must say about it (line numbers from 1).
HOSTILE: list[tuple[str, str]] = [
    ("[" * 100_000 + "]" * 100_000, "line 1: not valid JSON (nested too deeply)"),
    ('{"a": ' * 50_000 + "1" + "}" * 50_000, "line 2: not valid JSON (nested too deeply)"),
    (raw_with("fp69", "1" * 5000), "line 3: not valid JSON (Exceeds the limit"),
    (raw_with("fp69", "1e999999"), "line 4, field fp69: Infinity is not true or false"),
    (raw_with("fp69", "NaN"), "line 5: not valid JSON (NaN is not a JSON number)"),
    (raw_with("surname", '"\\ud800"'), "line 6: a \\u escape is half a character"),
    (raw_with("surname", '"Smith\\x41"'), "line 7: not valid JSON (Invalid \\escape"),
    (raw_with("surname", '"Smith\\u00"'), "line 8: not valid JSON (Invalid \\uXXXX escape"),
    (
        line(surname="Nul\u0000l"),
        'line 9, field surname: "Nul\\u0000l" contains the control character U+0000',
    ),
    (
        line(forename="Tab\tbed"),
        'line 10, field forename: "Tab\\tbed" contains the control character U+0009',
    ),
    (
        line(surname="\u001b[31mRed"),
        'line 11, field surname: "\\u001b[31mRed" contains the control character U+001B',
    ),
    (line(surname="x" * 101), 'line 12, field surname: "xxxxxxxx'),
    (
        raw_with("surname", '"Jones"').replace(
            '"forename": "Siân"', '"forename": "A", "forename": "B"'
        ),
        "line 13, field forename: given more than once",
    ),
    (line(nhs_number="999 000 0018"), ""),  # a good line among the bad ones
    (
        raw_with(
            "medications",
            '[{"drug": "x", "drug": "y", "dose": "d", "repeat": true, "start": "2020-01-01"}]',
        ),
        "line 15, field medications[0].drug: given more than once",
    ),
    (raw_with("\u009b2Jbad", "1"), "line 16, field \\u009b2Jbad: unknown field"),
    ("\ufeff" + line(), "line 17: not valid JSON"),  # a BOM is tolerated on line 1 only
]


def test_every_hostile_line_is_a_problem_by_line_and_nothing_is_imported(
    run_cli, cli_home: Path, tmp_path: Path
) -> None:
    extract = tmp_path / "hostile.jsonl"
    extract.write_text("\n".join(text for text, _ in HOSTILE) + "\n", encoding="utf-8")
    result = run_cli(cli_home, "import", str(extract))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "nothing was imported: 16 problem(s)" in result.stderr
    for _text, expected in HOSTILE:
        assert expected in result.stderr, expected
    assert "at most 100" in result.stderr
    assert "\x1b" not in result.stderr and "\x9b" not in result.stderr  # no terminal control
    status = json.loads(run_cli(cli_home, "status", "--json").stdout)
    assert status["total"] == 0


def test_a_line_longer_than_the_limit_is_skipped_and_named(
    run_cli, cli_home: Path, tmp_path: Path
) -> None:
    from scrtui.store.importer import MAX_LINE_BYTES

    extract = tmp_path / "long.jsonl"
    extract.write_text(
        line() + "\n" + line(surname="L" * MAX_LINE_BYTES) + "\n" + line(nhs_number="x") + "\n",
        encoding="utf-8",
    )
    result = run_cli(cli_home, "import", str(extract))
    assert result.returncode == 2
    assert f"line 2: the line is too long (at most {MAX_LINE_BYTES:,} bytes)" in result.stderr
    assert "nothing was imported: 1 problem(s)" in result.stderr  # line 3 was read as line 3


def test_text_at_its_limits_and_emoji_escapes_are_imported(
    run_cli, cli_home: Path, tmp_path: Path
) -> None:
    extract = tmp_path / "edge.jsonl"
    extract.write_text(
        line(surname="x" * 100, postcode=None)
        + "\n"
        + raw_with("surname", '"Smile\\ud83d\\ude00"').replace("943 476 5919", "ABC1234")
        + "\n",
        encoding="utf-8",
    )
    result = run_cli(cli_home, "import", str(extract))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Imported 2 patients")


def test_a_folder_or_a_missing_file_says_so(run_cli, cli_home: Path, tmp_path: Path) -> None:
    folder = run_cli(cli_home, "import", str(tmp_path))
    assert folder.returncode == 2
    assert f"{tmp_path}: nothing was imported" in folder.stderr
    assert "is a folder, not a file" in folder.stderr
    missing = run_cli(cli_home, "import", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_a_file_this_user_cannot_read_says_so(shared_dir: Path, as_nobody) -> None:
    home = shared_dir / "home"
    home.mkdir(mode=0o700)
    os.chown(home, *as_nobody.ids)
    secret = shared_dir / "root-only.jsonl"
    secret.write_text(line() + "\n", encoding="utf-8")
    os.chmod(secret, 0o600)
    result = as_nobody(home, "import", str(secret))
    assert result.returncode == 2, result.stderr
    assert "cannot be read (Permission denied)" in result.stderr
    assert "no such file" not in result.stderr


@pytest.mark.parametrize("value", ["x" * 1001, "a\nb", "a\x00b"])
def test_clinical_text_has_the_same_limits(run_cli, cli_home: Path, tmp_path: Path, value) -> None:
    extract = tmp_path / "med.jsonl"
    medication = {"drug": value, "dose": "d", "repeat": True, "start": "2020-01-01"}
    extract.write_text(line(medications=[medication]) + "\n", encoding="utf-8")
    result = run_cli(cli_home, "import", str(extract))
    assert result.returncode == 2
    assert "line 1, field medications[0].drug:" in result.stderr
