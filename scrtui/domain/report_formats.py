"""The completion report in each file format it is kept in: CSV, JSON or HTML text."""

from __future__ import annotations

import csv
import io
import json

from scrtui.domain import completion_report, report_html
from scrtui.domain.completion_report import CompletionReport
from scrtui.domain.spreadsheet import safe_row


def rendered(report: CompletionReport, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(completion_report.document(report), ensure_ascii=False, indent=1) + "\n"
    if fmt == "html":
        return report_html.render(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(completion_report.CSV_COLUMNS)
    writer.writerows(safe_row(row) for row in completion_report.csv_rows(report))
    return buffer.getvalue()
