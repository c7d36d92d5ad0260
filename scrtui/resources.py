"""Where screens.tcss lives: inside the wheel, or at the repository root in a checkout.

The stylesheet stays at the top level of the repository, not in scrtui/ui/, because the design
card (the project brief's list of what the top level holds) names it there, beside
pyproject.toml; the wheel carries it as scrtui/screens.tcss (pyproject.toml force-include).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def stylesheet_path() -> Path:
    packaged = resources.files("scrtui") / "screens.tcss"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[1] / "screens.tcss"
