"""The status bar's text fitted to the terminal: at most two lines, broken between words.

At 80 columns a pause's reason did not fit one line and was cut in a word ("... enter the
pas", issue 22). The bar now takes a second line when it needs one; what still does not fit
is the schedule (the running view shows it in full), then the end of the reason, cut after a
whole word with a mark, and the running view's Status row (which wraps) holds the whole of it.
Kept free of Textual so the fitting can be tested on its own.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

MOST_LINES = 2
SEPARATOR = "  |  "


def _lines(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width, break_long_words=False, break_on_hyphens=False) or [""]


def _fits(lines: list[str], width: int) -> bool:
    return len(lines) <= MOST_LINES and all(len(line) <= width for line in lines)


def fit_status_bar(
    status: str, schedules: Sequence[str], width: int, *, ascii_only: bool = False
) -> str:
    """`status` ("Initial Upload: Paused: ...") and the first of `schedules` (the longest
    first, e.g. the whole schedule, then only its next event) that fits beside or under it in
    `width` columns: one line when it fits, else two; the schedule goes before any of the
    status is cut."""
    schedules = [schedule for schedule in schedules if schedule]
    if width <= 0:
        return f"{status}{SEPARATOR}{schedules[0]}" if schedules else status
    for schedule in schedules:
        whole = f"{status}{SEPARATOR}{schedule}"
        if len(whole) <= width:
            return whole
    for schedule in schedules:
        lines = _lines(status, width) + _lines(schedule, width)
        if _fits(lines, width):
            return "\n".join(lines)
    lines = _lines(status, width)
    if _fits(lines, width):
        return "\n".join(lines)
    return "\n".join(_cut(lines, width, "~" if ascii_only else "…"))


def _cut(lines: list[str], width: int, mark: str) -> list[str]:
    """The first lines, the last of them ending after a whole word and the mark."""
    kept = [line[:width] for line in lines[: MOST_LINES - 1]]
    last = lines[MOST_LINES - 1]
    words = last.split(" ")
    while words and len(" ".join(words)) + 1 + len(mark) > width:
        words.pop()
    tail = " ".join(words)
    return [*kept, f"{tail} {mark}" if tail else mark]
