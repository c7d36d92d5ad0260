"""The demo's own settings (its simulator's URL, the simulated card, its broker) live in
memory only: the data directory's scrtui.toml keeps the practice's real ones.

Issue 22: the demo saved `mhs_url` pointing at its simulator's port; once the demo ended,
`scrtui upload` on the same data directory paused on that dead port. What the user saves on
the demo's Settings screen is kept, except these fields while they still hold the demo's
values, which go back to what the file said before the demo.
"""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

from scrtui.settings import Settings, load, save

# Every field the demo sets for itself (scrtui/cli/app.py, scrtui/cli/broker.async_settings).
DEMO_OWN = (
    "mhs_url",
    "card_backend",
    "wait_for_response",
    "queue_brokers",
    "queue_name",
    "queue_user",
    "queue_password",
    "queue_password_file",
)


def without_demo_values(before: Settings, demo: Settings, saved: Settings) -> Settings:
    """`saved` with every field the demo set for itself, and that still holds the demo's
    value, put back to its value before the demo."""
    known = {f.name for f in fields(Settings)}
    back = {
        name: getattr(before, name)
        for name in DEMO_OWN
        if name in known and getattr(saved, name) == getattr(demo, name) != getattr(before, name)
    }
    return replace(saved, **back) if back else saved


def put_back(path: Path, before: Settings, demo: Settings) -> None:
    """After the demo: undo in the file what only the demo meant (a Settings screen save
    during the demo writes them)."""
    if not path.exists():
        return
    saved = load(path)
    restored = without_demo_values(before, demo, saved)
    if restored != saved:
        save(path, restored)
