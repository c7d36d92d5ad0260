"""A private RabbitMQ broker with AMQP 1.0, as a child process, for tests, the demo and the bench.

Everything it writes lives in one temporary directory; it listens on free loopback ports (AMQP,
Erlang distribution, epmd), so a system broker on the same machine is never touched. Its epmd is
started by us in the foreground, so it is our child and stopped by its pid (a broker's own epmd
daemonises and outlives it: docs/async-mode.md). Debian's package is `rabbitmq-server`.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

RABBITMQ_SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
EPMD = shutil.which("epmd") or "/usr/bin/epmd"
INSTALL_HINT = (
    "RabbitMQ is not installed: run `sudo apt-get install -y --no-install-recommends "
    "rabbitmq-server` (or ./run setup as root), then try again"
)


class BrokerError(RuntimeError):
    """The broker could not start; the message says why."""


def installed() -> bool:
    return RABBITMQ_SERVER.exists() and Path(EPMD).exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Broker:
    """A running private broker: `url` is its amqp:// address (guest/guest on loopback)."""

    directory: Path
    port: int
    dist_port: int
    epmd_port: int
    server: subprocess.Popen[bytes] | None = None
    epmd: subprocess.Popen[bytes] | None = None
    watchdog: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"amqp://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.directory / "broker.out"

    def start(self, timeout: float = 60.0) -> None:
        """Start (or restart, on the same ports and data) and wait until AMQP 1.0 answers."""
        if self.epmd is None or self.epmd.poll() is not None:
            self.epmd = subprocess.Popen(
                [EPMD, "-port", str(self.epmd_port), "-address", "127.0.0.1"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=self.env,
            )
        with open(self.log, "ab") as out:
            self.server = subprocess.Popen(
                [str(RABBITMQ_SERVER)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self.env,
                cwd=self.directory,
                start_new_session=True,  # its own process group: stopped whole, by its pid
            )
        self._watch_parent()
        self._wait_ready(timeout)

    def _watch_parent(self) -> None:
        """A broker must not outlive us (killed, or a test run cut short): a watchdog shell
        stops the broker's process group and epmd, by their pids, once this process is gone."""
        if self.watchdog is not None:
            self.watchdog.kill()
            self.watchdog.wait()
        assert self.server is not None and self.epmd is not None
        script = (
            f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
            f"kill -TERM -{self.server.pid} {self.epmd.pid} 2>/dev/null"
        )
        self.watchdog = subprocess.Popen(
            ["/bin/sh", "-c", script],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.server is not None
            if self.server.poll() is not None:
                code = self.server.returncode
                raise BrokerError(f"the broker exited with code {code}: {self.tail()}")
            if _amqp10_answers(self.url):
                return
            time.sleep(0.2)
        raise BrokerError(f"the broker did not answer AMQP 1.0 within {timeout:g} s: {self.tail()}")

    def tail(self, lines: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no output)"

    def stop_server(self) -> None:
        """Stop the broker (its process group, by its pid), keeping its data and epmd."""
        server, self.server = self.server, None
        if server is None or server.poll() is not None:
            return
        try:
            os.killpg(server.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()

    def stop(self) -> None:
        """Stop the broker and its epmd, and remove its directory."""
        self.stop_server()
        watchdog, self.watchdog = self.watchdog, None
        if watchdog is not None:
            watchdog.kill()
            watchdog.wait()
        epmd, self.epmd = self.epmd, None
        if epmd is not None and epmd.poll() is None:
            epmd.terminate()
            epmd.wait(timeout=10)
        shutil.rmtree(self.directory, ignore_errors=True)


def _amqp10_answers(url: str) -> bool:
    from proton.utils import BlockingConnection  # imported late: only tests and tools need it

    try:
        with socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])), timeout=1):
            pass
        connection = BlockingConnection(url, timeout=3, user="guest", password="guest")
    except Exception:  # not up yet: refused, closed, or the plugin not started
        return False
    connection.close()
    return True


def prepare(parent: Path | None = None) -> Broker:
    """A broker's directory, files and environment, on free ports (not started)."""
    if not installed():
        raise BrokerError(INSTALL_HINT)
    directory = Path(tempfile.mkdtemp(prefix="scrtui-broker-", dir=parent))
    port, dist_port, epmd_port = free_port(), free_port(), free_port()
    (directory / "enabled_plugins").write_text("[rabbitmq_amqp1_0].\n")
    (directory / "rabbitmq.conf").write_text(
        f"listeners.tcp.default = 127.0.0.1:{port}\n"
        "loopback_users.guest = true\n"
        # a test machine's disk is often nearly full of other work; the default 50 MB limit
        # would block publishers
        "disk_free_limit.absolute = 1MB\n"
    )
    (directory / "rabbitmq-env.conf").write_text("")  # never read /etc/rabbitmq's
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(directory),  # the Erlang cookie goes here, not in root's or rabbitmq's home
        "LANG": "C.UTF-8",
        "RABBITMQ_CONF_ENV_FILE": str(directory / "rabbitmq-env.conf"),
        "RABBITMQ_CONFIG_FILE": str(directory / "rabbitmq.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(directory / "enabled_plugins"),
        "RABBITMQ_MNESIA_BASE": str(directory / "mnesia"),
        "RABBITMQ_LOG_BASE": str(directory / "log"),
        "RABBITMQ_LOGS": "-",
        "RABBITMQ_PID_FILE": str(directory / "broker.pid"),
        "RABBITMQ_NODENAME": f"scrtui{port}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist_port),
        "ERL_EPMD_PORT": str(epmd_port),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
    }
    return Broker(directory, port, dist_port, epmd_port, env=env)


def start_broker(parent: Path | None = None, timeout: float = 60.0) -> Broker:
    """Prepare and start a private broker; on failure nothing is left running."""
    broker = prepare(parent)
    try:
        broker.start(timeout)
    except BaseException:
        broker.stop()
        raise
    return broker
