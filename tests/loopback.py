"""A one-route aiohttp server on a free loopback port: an adaptor (or a Spine) that answers
the way a test needs, where the bundled simulator has no such answer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def serving(path: str, handler: Handler) -> AsyncIterator[str]:
    """POSTs to `path` (an aiohttp route, e.g. "/" or "/{tail:.*}") go to `handler`; yields
    the server's URL with `path` when it is a plain path, else the root URL."""
    app = web.Application()
    app.router.add_post(path, handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        root = f"http://127.0.0.1:{runner.addresses[0][1]}"
        yield root + (path if "{" not in path else "/")
    finally:
        await runner.cleanup()
