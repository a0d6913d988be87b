"""Frames written in one turn of the event loop leave together: one write per client.

Every ``transport.write`` on an idle socket is a system call. Under load a client gets
several frames per turn (an officer's acks and the messages of ten conversations), so
frames are gathered per client and flushed once, at the end of the turn.
"""

import asyncio
from collections.abc import Callable


class Outbox:
    def __init__(self) -> None:
        self._dirty: list[Callable[[], None]] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        """Kept: ``get_running_loop`` is a system call (``getpid``) on Python 3.11."""

    def flush_soon(self, flush: Callable[[], None]) -> None:
        """``flush`` runs once, after everything already scheduled in this turn."""
        if not self._dirty:
            loop = self._loop
            if loop is None or loop.is_closed():
                loop = self._loop = asyncio.get_running_loop()
            loop.call_soon(self._flush_all)
        self._dirty.append(flush)

    def _flush_all(self) -> None:
        dirty, self._dirty = self._dirty, []
        for flush in dirty:
            flush()
