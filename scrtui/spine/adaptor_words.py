"""The NHS MHS adaptor's own error words, and which of them say that its set-up is wrong.

From NHSDigital/integration-adaptor-mhs at 5824b84d (mhs/common/mhs_common/workflow/*.py,
mhs/common/mhs_common/handler/base_handler.py); docs/spine.md has the whole table. A set-up
error is the same for every message, so it stops the run at once instead of pausing it: no
resend can succeed until somebody changes the adaptor's configuration.
"""

from __future__ import annotations

# 500 texts about the adaptor's configuration (route lookup, interactions.json, its keys).
_SETUP: dict[str, str] = {
    "Error obtaining outbound URL": (
        "the adaptor found no route for this interaction: check its route lookup "
        "(MHS_SPINE_ROUTE_LOOKUP_URL, SDS) and MHS_SPINE_ORG_CODE"
    ),
    "Failed message preparation": "check the adaptor's party key and interaction settings",
    "Error serialising outbound message": "check the adaptor's party key and CPA id settings",
    "Error when converting retry interval": "check the route lookup's reliability settings",
    "Couldn't determine workflow to invoke": "check the adaptor's interactions.json",
    "sync-async flag": "check the adaptor's interactions.json",
}
# The Spine could not be reached from the adaptor (network, TLS towards the Spine).
SPINE_UNREACHABLE = "Error making outbound request"


def setup_advice(text: str) -> str | None:
    """What to check when the adaptor's words say its set-up is wrong, else None."""
    for words, advice in _SETUP.items():
        if words in text:
            return advice
    return None
