"""One way to run a coroutine to the end: on uvloop where it is installed (faster sends, see
README's performance section), else on asyncio's own loop."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop
    except ImportError:  # uvloop is not built for Windows
        return asyncio.run(main)
    return uvloop.run(main)
