"""Mutual TLS: a CA, a server certificate and a client certificate made inside the test."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from scrtui.spine.client import SendOutcome, mhs_transport
from scrtui.standins.simulator import RunningSimulator, running_simulator

from .conftest import fast_settings
from .test_client import RUN_ID, message


@dataclass
class Pki:
    ca: Path
    client_cert: Path
    client_key: Path
    server: ssl.SSLContext


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    authority = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server)
    authority.configure_trust(server)
    server.verify_mode = ssl.CERT_REQUIRED  # mutual TLS: no client certificate, no service
    client = authority.issue_cert("scrtui-client.example")
    paths = Pki(root / "ca.pem", root / "client.pem", root / "client.key", server)
    authority.cert_pem.write_to_path(str(paths.ca))
    client.cert_chain_pems[0].write_to_path(str(paths.client_cert))
    client.private_key_pem.write_to_path(str(paths.client_key))
    return paths


@pytest.fixture
async def tls_sim(pki: Pki) -> AsyncIterator[RunningSimulator]:
    async with running_simulator(ssl_context=pki.server) as running:
        yield running


async def test_mutual_tls_run(tls_sim: RunningSimulator, pki: Pki) -> None:
    assert tls_sim.url.startswith("https://127.0.0.1:")
    settings = fast_settings(
        tls_sim.url,
        ca_bundle=str(pki.ca),
        client_cert=str(pki.client_cert),
        client_key=str(pki.client_key),
    )
    async with mhs_transport(settings, RUN_ID) as client:
        result = await client.send(*message())
    assert result.outcome is SendOutcome.SENT and result.ack_code == "AA"
    assert tls_sim.state.accepted == 1


async def test_unknown_server_certificate_is_fatal(tls_sim: RunningSimulator, pki: Pki) -> None:
    # No CA bundle: the system CAs do not know the test CA, so verification fails.
    settings = fast_settings(
        tls_sim.url, client_cert=str(pki.client_cert), client_key=str(pki.client_key)
    )
    async with mhs_transport(settings, RUN_ID) as client:
        result = await client.send(*message())
    assert (result.outcome, result.error_code, result.attempts) == (SendOutcome.FATAL, "TLS", 1)
    assert result.error_text is not None and "certificate verify failed" in result.error_text
    assert tls_sim.state.requests == 0


async def test_missing_client_certificate_is_not_a_success(
    tls_sim: RunningSimulator, pki: Pki
) -> None:
    settings = fast_settings(tls_sim.url, ca_bundle=str(pki.ca))
    async with mhs_transport(settings, RUN_ID) as client:
        result = await client.send(*message())
    # TLS 1.3 reports the server's refusal after the client's handshake, so it usually
    # arrives as a connection reset (retried) rather than a TLS error; never a success.
    assert result.outcome in (SendOutcome.FATAL, SendOutcome.RETRY_LIMIT), result
    assert tls_sim.state.requests == 0
