"""Every key of the application, by where it works: the F1 help screen and docs/keys.md.

tests/ui/test_keys.py checks that each Binding declared in scrtui.ui is listed here.
"""

from __future__ import annotations

KeyRow = tuple[str, str]

KEY_SECTIONS: tuple[tuple[str, tuple[KeyRow, ...]], ...] = (
    (
        "Everywhere",
        (
            ("F1", "Help: this list of keys"),
            ("F3", "Log in with the smartcard (passcode, then role) when a card is inserted"),
            ("F4", "Insert or remove the simulated smartcard (demo card only)"),
            ("F10, ctrl+q", "Exit the application (asks first; a running upload stops safely)"),
            ("ctrl+p", "Command palette (theme, keys, quit)"),
            ("Tab, shift+Tab", "Move between fields and buttons"),
            ("Up, Down", "Move in lists; Left/Right also move between buttons in dialogs"),
            ("Enter", "Choose the highlighted entry or press the focused button"),
        ),
    ),
    (
        "Front screen",
        (
            ("Left, Right", "Switch tab (SCR, Practice) when the tab bar has focus"),
            ("g", "GP Summary Bulk Uploads"),
        ),
    ),
    (
        "GP Summary Bulk Transmission",
        (
            ("r", "Initial Upload - Run"),
            ("u", "Initial Upload - Resume"),
            ("e", "Initial Upload - Rerun"),
            ("f", "Initial Upload - Failed"),
            ("v", "View the upload in progress (or the last one started)"),
            ("Escape", "Back to the front screen"),
        ),
    ),
    (
        "SCR Upload window (running)",
        (
            ("p", "Pause the upload, or Resume it when paused"),
            ("s", "Stop the upload (asks first; it can be resumed later)"),
            ("c", "Stop & Close: stop if running, then back to Bulk Transmission"),
            ("Escape", "Back to Bulk Transmission; the upload carries on"),
        ),
    ),
    (
        "SCR Upload - <Option> form",
        (
            ("F2", "OK: start (or schedule) the upload"),
            ("Enter", "In a field: OK"),
            ("ctrl+g", "Choose the Group Name"),
            ("Up, Down", "Start: Immediately or At date and time"),
            ("Escape", "Cancel"),
        ),
    ),
    (
        "Dialogs",
        (
            ("y, n", "Yes or No in a question"),
            ("Escape", "No, Cancel or OK: closes the dialog"),
            ("F2", "OK in the passcode dialog"),
            ("Type, Down", "Group Name: filter, then move into the list"),
        ),
    ),
)
