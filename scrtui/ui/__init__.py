"""The Textual user interface. Entry points: scrtui.ui.app.ScrApp and scrtui.ui.app.run_app.

Only scrtui.services, scrtui.domain, scrtui.settings, scrtui.resources and scrtui.logs may be
imported from here (an import-linter contract in pyproject.toml checks the forbidden ones).
"""
