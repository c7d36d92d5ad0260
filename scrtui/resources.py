"""Where screens.tcss lives: inside the wheel, or at the repository root in a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def stylesheet_path() -> Path:
    packaged = resources.files("scrtui") / "screens.tcss"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "screens.tcss"
