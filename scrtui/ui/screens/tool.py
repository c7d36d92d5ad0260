"""The frame of the after-upload tools (SCR Reporter, Patient Groups, Settings, the run log):
the shared header, status bar and one-line key bar of every framed screen."""

from __future__ import annotations

from .base import FramedScreen


class ToolScreen(FramedScreen):
    """A tool reached from the SCR tab's menu (scrtui/ui/screens/front.py)."""
