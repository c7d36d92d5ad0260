"""Every key binding in scrtui.ui is listed in the help (keys.KEY_SECTIONS) and docs/keys.md."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.binding import Binding

from scrtui.ui.app import ScrApp
from scrtui.ui.keys import KEY_SECTIONS
from scrtui.ui.modals.confirm import ConfirmModal
from scrtui.ui.modals.group_picker import GroupPickerModal
from scrtui.ui.modals.login import PasscodeModal, RoleModal
from scrtui.ui.modals.message import MessageModal
from scrtui.ui.modals.schedule import ScheduleModal
from scrtui.ui.screens.bulk import BulkTransmissionScreen
from scrtui.ui.screens.front import FrontScreen
from scrtui.ui.screens.help import HelpScreen
from scrtui.ui.screens.upload import UploadScreen

KEYS_MD = Path(__file__).resolve().parents[2] / "docs" / "keys.md"
UI_CLASSES = (
    ScrApp,
    FrontScreen,
    BulkTransmissionScreen,
    UploadScreen,
    HelpScreen,
    ConfirmModal,
    MessageModal,
    ScheduleModal,
    GroupPickerModal,
    PasscodeModal,
    RoleModal,
)


def listed_keys() -> set[str]:
    keys: set[str] = set()
    for _title, rows in KEY_SECTIONS:
        for key, _what in rows:
            keys.update(part.strip().lower() for part in key.split(","))
    return keys


def own_bindings(cls: type) -> list[Binding]:
    found: list[Binding] = []
    for klass in cls.__mro__:
        if klass.__module__.startswith("scrtui."):
            found += [b for b in klass.__dict__.get("BINDINGS", []) if isinstance(b, Binding)]
    return found


@pytest.mark.parametrize("cls", UI_CLASSES, ids=lambda c: c.__name__)
def test_every_binding_is_in_the_help(cls: type) -> None:
    listed = listed_keys()
    for binding in own_bindings(cls):
        for key in binding.key.split(","):
            assert key.strip().lower() in listed, f"{cls.__name__}: {key} is not in keys.py"


def test_docs_keys_md_lists_every_key_of_the_help() -> None:
    text = KEYS_MD.read_text(encoding="utf-8")
    for title, rows in KEY_SECTIONS:
        assert f"## {title}" in text
        for key, what in rows:
            assert f"| {key} | {what} |" in text, f"docs/keys.md lacks: {key} ({title})"
