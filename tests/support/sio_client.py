"""A real python-socketio client that records every event it receives, for assertions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import socketio


class RecordingClient:
    def __init__(self, url: str, namespace: str, *, serializer: str = "default",
                 transports: tuple[str, ...] = ("websocket",)) -> None:
        self.url = url
        self.namespace = namespace
        self.transports = list(transports)
        self.sio = socketio.AsyncClient(reconnection=False, serializer=serializer)
        self.events: list[tuple[str, Any]] = []
        self._changed = asyncio.Condition()
        self.sio.on("*", self._record, namespace=namespace)

    async def _record(self, event: str, data: Any = None) -> None:
        async with self._changed:
            self.events.append((event, data))
            self._changed.notify_all()

    async def connect(self, auth: dict[str, Any] | None = None) -> RecordingClient:
        await self.sio.connect(self.url, namespaces=[self.namespace], auth=auth,
                               transports=self.transports, wait_timeout=10)
        return self

    async def call(self, event: str, payload: Any = None, timeout: float = 10) -> Any:
        if payload is None:
            return await self.sio.call(event, namespace=self.namespace, timeout=timeout)
        return await self.sio.call(event, payload, namespace=self.namespace, timeout=timeout)

    async def ok(self, event: str, payload: Any = None) -> dict[str, Any]:
        ack = await self.call(event, payload)
        assert ack["ok"] is True, ack
        return dict(ack)

    def received(self, event: str) -> list[Any]:
        return [data for name, data in self.events if name == event]

    async def wait_for(self, event: str, predicate: Callable[[Any], bool] = lambda _: True,
                       timeout: float = 10) -> Any:
        async def find() -> Any:
            async with self._changed:
                while True:
                    for name, data in self.events:
                        if name == event and predicate(data):
                            return data
                    await self._changed.wait()
        return await asyncio.wait_for(find(), timeout)

    async def disconnect(self) -> None:
        await self.sio.disconnect()
