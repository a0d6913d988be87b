"""Node calls inside one process: nodes on one hub call each other's handlers directly,
payloads and answers copied through msgpack as they would travel on Redis."""

import asyncio
from typing import Any

from rtc_gateway.adapters.node_call_parts import (
    CLOSED,
    Outcome,
    Serving,
    WaitingCalls,
    as_msgpack,
    new_counts,
    result,
)
from rtc_gateway.ports.node_calls import CallHandler, NodeUnreachable


class MemoryNodeHub:
    """The nodes of one service living in one process (tests)."""

    def __init__(self) -> None:
        self._nodes: dict[str, MemoryNodeCalls] = {}

    def join(self, node: "MemoryNodeCalls") -> None:
        self._nodes[node.node_id] = node

    def leave(self, node: "MemoryNodeCalls") -> None:
        if self._nodes.get(node.node_id) is node:
            del self._nodes[node.node_id]

    def node(self, node_id: str) -> "MemoryNodeCalls | None":
        return self._nodes.get(node_id)


class MemoryNodeCalls:
    """Implements :class:`rtc_gateway.ports.node_calls.NodeCalls` in memory."""

    def __init__(self, node_id: str, hub: MemoryNodeHub | None = None, *,
                 timeout_s: float = 2.0, max_waiting: int = 1000,
                 max_serving: int = 100) -> None:
        self._node_id = node_id
        self._hub = hub or MemoryNodeHub()
        self._timeout_s = timeout_s
        self._counts = new_counts()
        self._waiting = WaitingCalls(self._counts, max_waiting)
        self._serving = Serving(self._counts, max_serving)
        self._serve: CallHandler | None = None

    @property
    def node_id(self) -> str:
        return self._node_id

    @property
    def connected(self) -> bool:
        return self._serve is not None

    async def start(self, serve: CallHandler) -> None:
        self._serve = serve
        self._hub.join(self)

    async def call(self, node: str, method: str, payload: Any = None, *,
                   timeout_s: float | None = None) -> Any:
        timeout = self._timeout_s if timeout_s is None else timeout_s
        self._counts["calls"] += 1
        callee = self._hub.node(node)
        if callee is None or self._serve is None:
            self._counts["unreachable"] += 1
            raise NodeUnreachable(node, method, "no such node is listening")
        with self._waiting.slot(node, method) as (_, closing):
            answering = asyncio.ensure_future(callee.answer(method, as_msgpack(payload),
                                                            timeout))
            try:
                await asyncio.wait((answering, closing), return_when=asyncio.FIRST_COMPLETED)
            finally:
                answered = answering.done()
                if not answered:
                    answering.cancel()
            outcome = answering.result() if answered else closing.result()
        return result(self._counts, outcome, node, method, timeout)

    async def answer(self, method: str, payload: Any, timeout_s: float) -> Outcome | None:
        """A call from another node on the hub."""
        if self._serve is None:
            return CLOSED
        return await self._serving.answer(self._serve, method, payload, timeout_s)

    def stats(self) -> dict[str, int]:
        return dict(self._counts)

    async def close(self) -> None:
        self._serve = None
        self._hub.leave(self)
        self._waiting.close_all()
