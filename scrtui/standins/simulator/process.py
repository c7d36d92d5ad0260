"""Running the simulator: in this process for tests, or as a child process on a free port."""

from __future__ import annotations

import contextlib
import os
import select
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass

from aiohttp import web

from scrtui.standins.simulator.config import SimulatorConfig
from scrtui.standins.simulator.server import create_app
from scrtui.standins.simulator.state import STATE, SimulatorState

READY_PREFIX = "scrtui simulator listening on "


# --- running it ---


@dataclass
class RunningSimulator:
    url: str
    state: SimulatorState
    host: str
    port: int


def url_for(host: str, port: int, scheme: str = "http") -> str:
    return f"{scheme}://[{host}]:{port}/" if ":" in host else f"{scheme}://{host}:{port}/"


@contextlib.asynccontextmanager
async def running_simulator(
    config: SimulatorConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    ssl_context: ssl.SSLContext | None = None,
    queue_urls: list[str] | None = None,
    queue_name: str = "inbound",
) -> AsyncIterator[RunningSimulator]:
    """Serve the simulator on this event loop until the block ends (https with ssl_context;
    acknowledgements of asynchronous sends published to `queue_urls`)."""
    app = create_app(config or SimulatorConfig(), queue_urls, queue_name)
    # handler_cancellation: a client that gives up (timeout) cancels a slow handler, so
    # shutdown does not wait out slow_seconds.
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, handler_cancellation=True, shutdown_timeout=1
    )
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, reuse_address=True, ssl_context=ssl_context)
        await site.start()
        bound = runner.addresses[0][1]
        url = url_for(host, bound, "https" if ssl_context else "http")
        yield RunningSimulator(url, app[STATE], host, bound)
    finally:
        await runner.cleanup()


def start_simulator_process(
    args: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    *,
    timeout: float = 30.0,
) -> tuple[subprocess.Popen[bytes], str]:
    """Run the `scrtui simulator --port 0 ...` command in a child process; return it and its URL.

    The child is `python -m scrtui.cli.spine simulator`: the same command and flags as
    `python -m scrtui simulator`, without importing the other command modules, so a problem in
    one of those cannot stop the simulator. It watches this process and exits when it dies;
    terminate() (SIGTERM) ends it cleanly. Its logs go to the home given by SCRTUI_HOME in
    `env` (else the default home), never to the terminal.
    """
    command = [
        sys.executable, "-m", "scrtui.cli.spine", "simulator",
        "--port", "0", "--parent-pid", str(os.getpid()), *args,
    ]  # fmt: skip
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=None if env is None else dict(env),
        )
        try:
            line = _read_line(process, timeout)
        except RuntimeError as exc:
            process.kill()
            process.wait()
            stderr.seek(0)
            detail = stderr.read().decode(errors="replace").strip()
            raise RuntimeError(f"{exc}; stderr: {detail or '(empty)'}") from None
    return process, line.removeprefix(READY_PREFIX)


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> str:
    assert process.stdout is not None
    fd = process.stdout.fileno()
    deadline = time.monotonic() + timeout
    buffer = b""
    while b"\n" not in buffer:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError(f"simulator printed no ready line within {timeout:g} s")
        ready, _, _ = select.select([fd], [], [], left)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError(f"simulator exited with code {process.wait()} before ready")
            buffer += chunk
    line = buffer.split(b"\n", 1)[0].decode().strip()
    if not line.startswith(READY_PREFIX):
        raise RuntimeError(f"unexpected first line from the simulator: {line!r}")
    return line
