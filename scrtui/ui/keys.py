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
            ("ctrl+u", "Unblock the simulated smartcard when it is blocked (demo card only)"),
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
            ("r", "SCR Reporter"),
            ("p", "Patient Groups"),
            ("s", "Settings"),
            ("l", "Upload log"),
            ("c", "Consent Migration changes (its local recoding, who and when)"),
        ),
    ),
    (
        "GP Summary Bulk Transmission",
        (
            ("Up, Down", "Choose the upload (its status, counters and last run show)"),
            ("Enter", "On an upload: to its options; on an option: choose it"),
            ("r", "The chosen upload's Run (Initial Upload - Run unless another is chosen)"),
            ("u", "The chosen upload's Resume"),
            ("e", "The chosen upload's Rerun"),
            ("f", "The chosen upload's Failed"),
            ("v", "View the upload in progress (or the last one started)"),
            ("p", "Preview the highlighted option for a group or all patients (nothing is sent)"),
            ("c", "Completion Report of the chosen upload's last run"),
            ("Escape", "Back to the front screen"),
        ),
    ),
    (
        "Consent Migration changes",
        (
            ("Up, Down", "Move in the list of changes"),
            ("Escape", "Back to the front screen"),
        ),
    ),
    (
        "SCR Upload window (running)",
        (
            ("p", "Pause the upload, or Resume it when paused (in a scheduled pause: now)"),
            (
                "s",
                "Stop the upload (asks first; it can be resumed later); before a "
                "scheduled start: Cancel schedule",
            ),
            ("c", "Stop & Close: stop if running, then back to Bulk Transmission"),
            ("t", "Take control of a background upload another window controls"),
            ("Escape", "Back to Bulk Transmission; the upload carries on"),
        ),
    ),
    (
        "SCR Upload - <Option> form",
        (
            ("F2", "OK: start (or schedule) the upload"),
            ("Enter", "In a field: the next field; on the OK button: start"),
            ("ctrl+g", "Choose the Group Name"),
            ("Up, Down, Space", "Start: choose Immediately or At date and time"),
            ("Escape", "Cancel"),
        ),
    ),
    (
        "SCR Reporter",
        (
            ("F5", "Failed patients"),
            ("F6", "Not Required patients"),
            ("F7", "Sending patients"),
            ("F8", "Unprocessed patients"),
            ("F9", "Sent patients"),
            (
                "F11",
                "Failed and Not Required counted per reason; Enter on one lists only its "
                "patients (a bucket's F-key or the first line: the whole bucket again)",
            ),
            ("F12", "All patients (with each patient's bucket)"),
            ("ctrl+o", "Sort: NHS number, reason, name (in turn)"),
            ("ctrl+t", "Next upload's patients (the five in turn; the title names the one shown)"),
            ("/, ctrl+f", "Search by NHS number or name (the list follows as you type)"),
            ("Enter, Down", "In the search box: back to the list"),
            ("Space", "Mark or unmark the highlighted patient, then move to the next (list only)"),
            ("a", "Mark every patient in the view (up to 5,000)"),
            ("u", "Unmark all"),
            ("g", "Save the marked patients to a new or existing patient group"),
            ("x", "Export the view to CSV in the data directory (the path is shown)"),
            ("Home, End", "First or last row loaded; End again loads more"),
            ("ctrl+r", "Reload the view (so does the bucket's F-key again)"),
            ("Escape", "Search box: back to the list; list: back to the front screen"),
        ),
    ),
    (
        "Preview",
        (
            ("F5", "Would send"),
            ("F6", "Would not send, with the reason"),
            ("F7", "Undecided (PDS did not answer)"),
            ("F11", "Not sent, counted per reason"),
            ("F12", "All patients of the preview"),
            ("ctrl+r", "Preview again (after correcting records)"),
            ("Space, a, u, g, x", "Mark, mark all, unmark all, save to a group, export CSV"),
            ("Escape", "Back to Bulk Transmission"),
        ),
    ),
    (
        "Completion Report",
        (
            ("Up, Down", "Scroll; PgUp/PgDn, Home/End also work"),
            ("x", "Export the report as HTML (printable), CSV and JSON (the paths are shown)"),
            ("ctrl+t", "The next upload's last run"),
            ("ctrl+r", "Read the report again"),
            ("Escape", "Back"),
        ),
    ),
    (
        "Patient Groups",
        (
            ("v, Enter", "View the highlighted group's members"),
            ("n", "New group from a file of NHS numbers (all or nothing)"),
            ("d", "Delete the highlighted group (asks first; not system groups)"),
            ("ctrl+r", "Reload the list"),
            ("Escape", "Back (from the members: to the groups)"),
        ),
    ),
    (
        "Settings",
        (
            ("F2, Enter", "Save the changed settings (needs your card session with B0062)"),
            ("F5", "Switch GP Summary on (two prompts) or off (asks first)"),
            ("Escape", "Back (asks first if there are unsaved changes)"),
        ),
    ),
    (
        "Upload log",
        (
            ("ctrl+t", "Next log: each upload's run log in turn, then the practice log"),
            ("f", "Follow new lines, or stop following to read back"),
            ("Up, Down", "Scroll; PgUp/PgDn, Home/End also work"),
            ("Escape", "Back to the front screen"),
        ),
    ),
    (
        "Dialogs",
        (
            ("y, n", "Yes or No in a question"),
            ("r", "At the end of an upload: its Completion Report"),
            ("Escape", "No, Cancel or OK: closes the dialog"),
            ("F2", "OK in the passcode dialog; Save in the patient group dialog"),
            ("a", "Group name in use: add the marked patients to it"),
            ("Type, Down", "Group Name: filter, then move into the list"),
        ),
    ),
)
