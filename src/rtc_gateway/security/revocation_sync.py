"""Keeps a node's :class:`RevocationList` in step with the shared revocation store.

Every ``interval_s`` it stores the citizen tokens this node minted since the last pass,
then reads what every node and the command line stored since; a staff revocation among
it calls ``on_staff_revoked`` so live connections holding revoked tokens are ended.
A revocation therefore takes effect within about one interval, and the connect path
never waits on the store. At start it loads everything still live, so a restart does
not revive superseded citizen tokens.
"""

import asyncio
import logging
from collections.abc import Callable

from rtc_gateway.background import stop_task
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.revocations import RevocationStore
from rtc_gateway.security.revocation_list import RevocationList

log = logging.getLogger(__name__)
PURGE_EVERY = 600
"""Passes between two purges of expired entries (about ten minutes at 1 s)."""


def now_us(clock: Clock) -> int:
    return int(clock.now().timestamp() * 1_000_000)


class RevocationSync:
    def __init__(self, store: RevocationStore, revocations: RevocationList, clock: Clock,
                 interval_s: float) -> None:
        self._store = store
        self._revocations = revocations
        self._clock = clock
        self._interval = interval_s
        self._version = 0
        self._passes = 0
        self._task: asyncio.Task[None] | None = None
        self.on_staff_revoked: Callable[[], None] = _nothing

    async def start(self) -> None:
        await self._store.open()
        await self._store.purge_expired(now_us(self._clock))
        await self.sync()
        self._task = asyncio.create_task(self._run(), name="revocation-sync")

    async def close(self) -> None:
        """Stop polling and store what this node minted last."""
        if self._task is not None:
            await stop_task(self._task)
            self._task = None
            try:
                await self._save()
            except Exception as error:
                log.warning("revocation store not updated at stop",
                            extra={"error": type(error).__name__})
        await self._store.close()

    async def sync(self) -> None:
        await self._save()
        changes = await self._store.changes_since(self._version)
        self._version = changes.version
        if self._revocations.apply(changes.entries):
            self.on_staff_revoked()

    async def _save(self) -> None:
        unsaved = self._revocations.take_unsaved()
        try:
            await self._store.put(unsaved)
        except BaseException:
            self._revocations.keep_unsaved(unsaved)
            raise

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.sync()
                self._passes += 1
                if self._passes % PURGE_EVERY == 0:
                    await self._purge()
            except Exception as error:
                log.warning("revocation sync failed; retrying",
                            extra={"error": type(error).__name__})

    async def _purge(self) -> None:
        instant = now_us(self._clock)
        await self._store.purge_expired(instant)
        self._revocations.forget_expired(instant)


def _nothing() -> None:
    return None
