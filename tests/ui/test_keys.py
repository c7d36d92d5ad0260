"""Every key binding in scrtui.ui is listed in the help (keys.KEY_SECTIONS) and docs/keys.md."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.dom import DOMNode

import scrtui.ui
from scrtui.ui.keys import KEY_SECTIONS

KEYS_MD = Path(__file__).resolve().parents[2] / "docs" / "keys.md"


def ui_classes() -> list[type[DOMNode]]:
    """Every screen, modal, widget and the app itself: found by walking scrtui.ui, so a new
    screen cannot be forgotten here."""
    found: dict[str, type[DOMNode]] = {}
    for info in pkgutil.walk_packages(scrtui.ui.__path__, "scrtui.ui."):
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and issubclass(cls, DOMNode):
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[name] for name in sorted(found)]


UI_CLASSES = ui_classes()


def test_the_walk_finds_the_screens_the_help_was_missing() -> None:
    names = {cls.__name__ for cls in UI_CLASSES}
    assert {"ScrApp", "ReporterScreen", "GroupsScreen", "SettingsScreen", "PatientTable"} <= names


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
