"""The counters while a run is paused: patients marked Sending whose message has not left
are shown in the bucket they came from (issue 22: Sending stayed frozen at the queue's size
while nothing was being sent).

A stop puts exactly these patients back (scrtui/engine/engine.py _put_back_unsent); while
paused they are shown as a stop would leave them, so Sending drains to the messages that are
really out at the MHS adaptor. A patient already Sending before the run (a crash's) stays
Sending: the Spine may hold its message.
"""

from __future__ import annotations

from collections.abc import Iterable

from scrtui.domain.records import Bucket


def held_back(counts: dict[Bucket, int], came_from: Iterable[Bucket]) -> dict[Bucket, int]:
    """`counts` with each held patient moved from Sending back to `came_from`'s bucket."""
    shown = dict(counts)
    for bucket in came_from:
        if bucket is Bucket.SENDING or shown.get(Bucket.SENDING, 0) <= 0:
            continue
        shown[Bucket.SENDING] -= 1
        shown[bucket] = shown.get(bucket, 0) + 1
    return shown
