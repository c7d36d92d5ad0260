"""One service the HTTP transport talks to, described as data (scrtui/spine/client.py sends).

What differs between the GP Summary (the MHS adaptor, scrtui/spine/client.py), the consent
service (consent_client.py) and the PDS query (pds_client.py) is here, and nothing else: where
the message goes, its headers, how the payload becomes the body, how an answer is read, and
whether a 202 is the end of it or the Spine's acknowledgement comes later from the adaptor's
inbound queue (docs/async-mode.md). The retries, backoff, outage counting and session are one
code path for all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from scrtui.spine.outcome import Classifier


@dataclass(frozen=True)
class Interaction:
    url: str
    headers: Mapping[str, str]  # every header but Message-Id, which each message brings
    encode: Callable[[str], bytes]  # the payload as the request body
    classify: Classifier
    # True: a 202 means "accepted", and the acknowledgement comes from the inbound queue
    # (scrtui/engine/async_watch.py); False: the answer to the call is the outcome.
    asynchronous: bool
