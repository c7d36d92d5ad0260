"""Patient group names: the limits and the rules the store, the commands and the screens share."""

from __future__ import annotations

NAME_MAX = 10  # Vision's group name field
DESCRIPTION_MAX = 56
SYSTEM_PREFIX = "$"  # groups kept by the clinical system, e.g. $PAT


def is_system_name(name: str) -> bool:
    return name.strip().startswith(SYSTEM_PREFIX)


def name_problem(name: str) -> str | None:
    """What is wrong with a new group's name (already stripped), or None."""
    if not name:
        return f"The group name is empty: enter 1 to {NAME_MAX} characters."
    if is_system_name(name):
        return (
            f'"{name}" is a system group name (it starts with {SYSTEM_PREFIX}): system groups '
            f"cannot be created or changed; choose a name without the {SYSTEM_PREFIX}."
        )
    if len(name) > NAME_MAX:
        return f'The group name "{name}" has {len(name)} characters: use at most {NAME_MAX}.'
    if not name.isprintable():
        return "The group name has control characters: use letters, digits and spaces."
    return None


def description_problem(description: str) -> str | None:
    if len(description) > DESCRIPTION_MAX:
        return f"The description has {len(description)} characters: use at most {DESCRIPTION_MAX}."
    if not description.isprintable():
        return "The description has control characters: use plain text on one line."
    return None
