"""Role-based access (RBAC) rules for the smartcard session: which activity an action needs and
whether a role profile holds it. Pure: the session (scrtui/card/session.py) applies them."""

from __future__ import annotations

from scrtui.domain.records import RoleProfile

UPLOAD_ACTIVITY = "B0062"  # bulk uploads (docs/domain.md)

ACTIVITY_NAMES = {
    "B0062": "bulk uploads",
    "B0370": "View Summary Health Records",
    "B0168": "view without permission (emergency)",
    "B0082": "legal override of consent",
}
# Activities that include others (RBAC baseline); a check for the included one also passes.
INCLUDED_ACTIVITIES: dict[str, frozenset[str]] = {"B0825": frozenset({"B0820"})}


def holds(role: RoleProfile | None, code: str) -> bool:
    if role is None:
        return False
    return code in role.activities or any(
        code in INCLUDED_ACTIVITIES.get(held, ()) for held in role.activities
    )


def role_label(role: RoleProfile) -> str:
    return f"{role.job_role_code} {role.job_role_name}"


def activity_label(code: str) -> str:
    name = ACTIVITY_NAMES.get(code)
    return f"{code} ({name})" if name else code
