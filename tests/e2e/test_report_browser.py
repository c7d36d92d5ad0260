"""The completion report's HTML page in a real headless browser (Debian's chromium, installed
by ./run): it renders, prints to PDF, and the figures it shows equal `scrtui status --json`."""

from __future__ import annotations

import json
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.engine.test_completion_cli import finished, finished_template  # noqa: F401
from tests.engine.test_upload_cli import practice, practice_template, simulator_url  # noqa: F401

CHROMIUM = shutil.which("chromium")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed: ./run test installs it when run as root "
    "(else: sudo apt-get install --no-install-recommends chromium)",
)


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


class Figures(HTMLParser):
    """The text of every element carrying data-figure, as the browser's DOM holds it."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self._open: list[str | None] = []
        self.svgs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.svgs += 1
        self._open.append(dict(attrs).get("data-figure"))

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        name = next((n for n in reversed(self._open) if n), None)
        if name:
            self.figures[name] = self.figures.get(name, "") + data


def test_the_report_renders_prints_and_shows_the_status_figures(finished, run_cli, tmp_path):  # noqa: F811
    home, rejected, status = finished
    page = tmp_path / "report.html"
    result = run_cli(home, "report", "--run", "last", "--format", "html", "--output", str(page))
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "report.pdf"
    printed = chromium(tmp_path / "profile-pdf", f"--print-to-pdf={pdf}", page.as_uri())
    assert pdf.exists(), printed.stderr
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
    dumped = chromium(tmp_path / "profile-dom", "--dump-dom", page.as_uri())
    assert dumped.returncode == 0, dumped.stderr
    parser = Figures()
    parser.feed(dumped.stdout)
    figures = parser.figures
    for key in ("unprocessed", "sending", "sent", "failed", "not_required", "total"):
        assert int(figures[key]) == status[key], key
    assert figures["user"] == status["last_run"]["user"]
    assert figures["sds_user_id"] == status["last_run"]["sds_user_id"]
    assert int(figures["failed_listed"]) == len(rejected) == status["failed"]
    assert parser.svgs == 2  # the reasons chart and the rate chart survived the render
    assert "no clinical content" in dumped.stdout
    # Nothing the page asks for is outside it: no script ran, nothing was fetched.
    assert "<script" not in dumped.stdout
    assert json.loads(run_cli(home, "status", "--json").stdout) == status
