"""What the terminal can show: 16 colours only (the Linux console, screen/tmux with TERM=screen)
and, on the Linux console, only the glyphs of a VGA font."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TerminalTraits:
    sixteen_colours: bool
    ascii_only: bool


def detect(environ: Mapping[str, str]) -> TerminalTraits:
    term = environ.get("TERM", "")
    console = term == "linux" or term.startswith("vt")
    screen16 = term.startswith("screen") and "256" not in term
    forced16 = environ.get("TEXTUAL_COLOR_SYSTEM", "") == "standard"
    return TerminalTraits(sixteen_colours=console or screen16 or forced16, ascii_only=console)
