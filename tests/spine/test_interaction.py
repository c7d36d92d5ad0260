"""What differs between the services one transport talks to (scrtui/spine/interaction.py),
decided directly: the send path itself is tested end to end in test_client.py, test_pds.py and
test_consent_simulator.py."""

from __future__ import annotations

import orjson

from scrtui.domain import uploads
from scrtui.engine import kinds
from scrtui.settings import Settings, with_changes
from scrtui.spine.client import classify, gp_summary
from scrtui.spine.consent_client import classify_consent, consent
from scrtui.spine.message import INTERACTION_ID
from scrtui.spine.pds import QUERY_INTERACTION_ID
from scrtui.spine.pds_client import classify_pds, pds_query

SYNC = with_changes(Settings(), mhs_url="http://mhs:8080/", wait_for_response=True)
ASYNC = with_changes(SYNC, wait_for_response=False)


def test_a_summary_is_asynchronous_exactly_when_the_settings_do_not_wait() -> None:
    assert not gp_summary(SYNC, "C").asynchronous
    summary = gp_summary(ASYNC, "C")
    assert summary.asynchronous and summary.headers["wait-for-response"] == "false"
    assert summary.headers["Interaction-Id"] == INTERACTION_ID
    assert summary.headers["Correlation-Id"] == "C" and "ods-code" not in summary.headers
    assert summary.url == "http://mhs:8080/" and summary.classify is classify
    assert orjson.loads(summary.encode("<x/>")) == {"payload": "<x/>"}


def test_consent_answers_on_the_call_whatever_the_mhs_mode() -> None:
    service = consent(ASYNC)
    assert not service.asynchronous
    assert service.url == "http://mhs:8080/sync-service"
    assert service.headers["Content-Type"].startswith("text/xml")
    assert "Interaction-Id" not in service.headers and "wait-for-response" not in service.headers
    assert service.encode("<x/>") == b"<x/>" and service.classify is classify_consent


def test_the_pds_query_goes_beside_the_summaries_with_its_own_id_and_reader() -> None:
    summary = gp_summary(ASYNC, "C")
    query = pds_query(summary)
    assert not query.asynchronous and query.classify is classify_pds
    assert query.headers["Interaction-Id"] == QUERY_INTERACTION_ID
    assert query.headers["wait-for-response"] == "false"
    assert query.headers["Correlation-Id"] == "C" and query.url == summary.url
    assert summary.headers["Interaction-Id"] == INTERACTION_ID  # the run's own is unchanged


def test_each_upload_gets_the_transport_of_its_route() -> None:
    consent_run = kinds.open_client(uploads.kind(uploads.CONSENT_MIGRATION), ASYNC, "C")
    summary_run = kinds.open_client(uploads.kind(uploads.INITIAL), ASYNC, "C")
    assert not consent_run.interaction.asynchronous
    assert consent_run.interaction.url.endswith("/sync-service")
    assert summary_run.interaction.asynchronous
