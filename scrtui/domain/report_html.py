"""The completion report as one self-contained printable HTML page.

No scripts, no remote assets (no fonts, images or stylesheets fetched): the style is inline
and both charts (the run's patients by reason, the message rate over the run) are inline SVG,
so the page opens and prints the same on a machine with no network. Every figure carries a
`data-figure` attribute naming it, so a test (or a person's tool) can read it back.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from scrtui.domain import nhs_number
from scrtui.domain.completion_report import (
    CAUSE_LABELS,
    FOOTER,
    CompletionReport,
    duration,
)
from scrtui.domain.records import Bucket

_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #000; background: #fff; }
h1 { font-size: 1.4em; margin-bottom: 0.2em; }
h2 { font-size: 1.1em; margin-top: 1.2em; border-bottom: 1px solid #888; }
table { border-collapse: collapse; margin: 0.4em 0; }
th, td { border: 1px solid #aaa; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
footer { margin-top: 2em; font-size: 0.85em; border-top: 1px solid #888; padding-top: 0.5em; }
svg text { font-family: sans-serif; font-size: 11px; }
@media print { body { margin: 0; } h2 { page-break-after: avoid; } }
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _when(value: datetime | None) -> str:
    return f"{value:%d/%m/%Y %H:%M:%S}" if value else "-"


def _row(label: str, value: str, figure: str | None = None) -> str:
    attr = f' data-figure="{figure}"' if figure else ""
    return f"<tr><th>{_e(label)}</th><td{attr}>{_e(value)}</td></tr>"


def _count_cell(value: int, figure: str) -> str:
    return f'<td class="n" data-figure="{figure}">{value}</td>'


def render(report: CompletionReport) -> str:
    r = report
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{_e(r.title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{_e(r.title)}</h1>",
        f"<p>{_e(r.practice_name)} ({_e(r.ods_code)}), run {r.run_id}</p>",
        "<h2>The run</h2><table>",
        _row("Practice", f"{r.practice_name} ({r.ods_code})", "practice"),
        _row("Upload", r.upload_label, "upload"),
        _row("Mode", r.mode.capitalize(), "mode"),
        _row("Group", r.group or "all patients", "group"),
        _row("Run by", r.user_name, "user"),
        _row("SDS user id", r.sds_user_id, "sds_user_id"),
        _row("Role profile", f"{r.role_profile_id} ({r.job_role})", "role_profile"),
        _row(
            "Scheduled",
            (_when(r.scheduled_for) if r.scheduled_for else "start now")
            + (f"; {r.window}" if r.window else ""),
        ),  # fmt: skip
        _row("Created", _when(r.created_at)),
        _row("Started", _when(r.started_at), "started_at"),
        _row("Stopped", f"{_when(r.ended_at)}: {r.outcome}", "stopped"),
    ]
    if r.outcome_detail:
        parts.append(_row("Detail", r.outcome_detail))
    if r.next_step:
        parts.append(_row("Next step", r.next_step, "next_step"))
    parts.append("</table>")
    parts += _pauses(r)
    parts += _counts(r)
    parts += _reasons(r)
    parts += _failed(r)
    parts += _rate(r)
    parts.append(
        f"<footer>Report made {_e(_when(r.generated_at))}. {_e(FOOTER)}</footer></body></html>"
    )
    return "\n".join(parts) + "\n"


def _pauses(r: CompletionReport) -> list[str]:
    out = [f'<h2>Pauses (<span data-figure="pauses">{len(r.pauses)}</span>)</h2>']
    if not r.pauses:
        return [*out, "<p>The run did not pause.</p>"]
    out.append("<table><tr><th>From</th><th>For</th><th>Cause</th><th>Reason</th></tr>")
    for p in r.pauses:
        out.append(
            f"<tr><td>{_e(_when(p.began))}</td><td>{_e(duration(p.began, p.ended))}</td>"
            f"<td>{_e(CAUSE_LABELS[p.cause])}</td><td>{_e(p.reason)}</td></tr>"
        )
    out.append("</table>")
    return out


def _counts(r: CompletionReport) -> list[str]:
    out = [
        "<h2>Counts by bucket</h2>",
        "<table><tr><th>Bucket</th><th>The upload now</th><th>This run's patients</th></tr>",
    ]
    for b in Bucket:
        out.append(
            f"<tr><th>{_e(b.label)}</th>{_count_cell(r.upload_counts.get(b, 0), b.value)}"
            f"{_count_cell(r.run_counts.get(b, 0), 'run_' + b.value)}</tr>"
        )
    out.append(
        f"<tr><th>Total</th>{_count_cell(r.upload_total, 'total')}"
        f"{_count_cell(sum(r.run_counts.values()), 'run_total')}</tr></table>"
    )
    return out


def _reasons(r: CompletionReport) -> list[str]:
    out = ["<h2>This run's patients by reason</h2>"]
    if not r.reasons:
        return [*out, "<p>No patient of this run is Failed or Not Required.</p>"]
    out.append(bar_chart([(f"{x.code or '-'}", x.patients) for x in r.reasons]))
    out.append("<table><tr><th>Bucket</th><th>Code</th><th>Reason</th><th>Patients</th></tr>")
    for x in r.reasons:
        out.append(
            f"<tr><td>{_e(x.bucket.label)}</td><td>{_e(x.code or '-')}</td>"
            f"<td>{_e(x.text or '')}</td>"
            f'<td class="n" data-figure="reason_{_e(x.code or "none")}">{x.patients}</td></tr>'
        )
    out.append("</table>")
    return out


def _failed(r: CompletionReport) -> list[str]:
    out = [f'<h2>Failed patients (<span data-figure="failed_listed">{len(r.failed)}</span>)</h2>']
    if not r.failed:
        return [*out, "<p>None.</p>"]
    out.append("<table><tr><th>NHS number</th><th>Code</th><th>Reason</th><th>What to do</th></tr>")
    for f in r.failed:
        out.append(
            f"<tr><td>{_e(nhs_number.format_334(f.nhs_number))}</td><td>{_e(f.code or '-')}</td>"
            f"<td>{_e(f.text or '')}</td><td>{_e(f.what_to_do)}</td></tr>"
        )
    out.append("</table>")
    return out


def _rate(r: CompletionReport) -> list[str]:
    rates = r.rates()
    average = r.average_rate()
    out = ["<h2>Message rate over the run</h2>"]
    if average is None or not rates:
        return [*out, "<p>The run was too short to measure a rate.</p>"]
    out.append(
        f'<p>Average <span data-figure="average_rate">{average:.1f}</span> messages a second, '
        f"highest {max(v for _a, v in rates):.1f}.</p>"
    )
    out.append(rate_chart(rates))
    return out


def bar_chart(bars: list[tuple[str, int]], width: int = 600) -> str:
    """Horizontal bars, one per label, scaled to the largest."""
    row = 22
    label_w = 90
    height = row * len(bars) + 10
    top = max((n for _l, n in bars), default=0) or 1
    items = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="Patients by reason">'
    ]
    for i, (label, n) in enumerate(bars):
        y = 5 + i * row
        w = max(1, int((width - label_w - 70) * n / top))
        items.append(f'<text x="0" y="{y + 14}">{_e(label)}</text>')
        items.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="{row - 6}" fill="#3a6ea5"/>')
        items.append(f'<text x="{label_w + w + 5}" y="{y + 14}">{n}</text>')
    items.append("</svg>")
    return "".join(items)


def rate_chart(rates: list[tuple[datetime, float]], width: int = 600, height: int = 180) -> str:
    """The messages a second between samples, as a line over the run's time."""
    left, bottom, top_pad = 50, 25, 10
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    start, end = rates[0][0], rates[-1][0]
    span = (end - start).total_seconds() or 1.0
    peak = max(v for _a, v in rates) or 1.0
    points = []
    for at, value in rates:
        x = left + plot_w * (at - start).total_seconds() / span
        y = top_pad + plot_h * (1 - value / peak)
        points.append(f"{x:.1f},{y:.1f}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'role="img" aria-label="Messages a second over the run">'
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" '
        f'y2="{top_pad + plot_h}" stroke="#000"/>'
        f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{top_pad + plot_h}" stroke="#000"/>'
        f'<text x="0" y="{top_pad + 10}">{peak:.0f}/s</text>'
        f'<text x="0" y="{top_pad + plot_h}">0</text>'
        f'<text x="{left}" y="{height - 5}">{start:%H:%M:%S}</text>'
        f'<text x="{left + plot_w - 50}" y="{height - 5}">{end:%H:%M:%S}</text>'
        f'<polyline fill="none" stroke="#3a6ea5" stroke-width="2" points="{" ".join(points)}"/>'
        "</svg>"
    )
