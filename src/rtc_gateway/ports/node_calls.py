"""Calls between the nodes of one service: ask node X, get its answer or a clear error in time.

A node forwards a service call to the node that holds what it needs (the node a
conversation's state lives on) and waits for the answer, never longer than the call's
timeout. Unlike the bus, a call is answered or fails loudly, with one of the errors
below; the caller decides what the client is told (``unavailable``, usually). Payloads
and answers are msgpack values: ``None``, booleans, numbers, strings, bytes, lists and
dicts of them with string keys.
"""

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

CallHandler = Callable[[str, Any], Awaitable[Any]]
"""Serves a call to this node: ``(method, payload)`` → the answer. An exception it
raises reaches the caller as :class:`NodeCallFailed`; one that runs past the caller's
timeout is cancelled, and the caller gets :class:`NodeCallTimeout`."""


class NodeCallError(Exception):
    """A call that got no answer; ``node`` and ``method`` say which."""

    def __init__(self, node: str, method: str, reason: str) -> None:
        super().__init__(f"call {method!r} to node {node!r}: {reason}")
        self.node = node
        self.method = method
        self.reason = reason


class NodeCallTimeout(NodeCallError):
    """No answer within the timeout: the node is slow, stuck, or its answer was lost."""


class NodeUnreachable(NodeCallError):
    """The call could not be delivered: the node is not listening (gone, or unknown),
    or this node cannot reach the transport (Redis down); known without waiting."""


class NodeCallFailed(NodeCallError):
    """The node answered with an error: its handler raised, or it was too busy."""


class TooManyCalls(NodeCallError):
    """This node already waits on as many calls as it allows; nothing was sent."""


class NodeCalls(Protocol):
    @property
    def node_id(self) -> str: ...

    @property
    def connected(self) -> bool:
        """Whether calls can currently leave and answers arrive."""
        ...

    async def start(self, serve: CallHandler) -> None:
        """Serve calls to this node with ``serve``; returns without waiting for the
        transport (it connects, and reconnects, by itself)."""
        ...

    async def call(self, node: str, method: str, payload: Any = None, *,
                   timeout_s: float | None = None) -> Any:
        """``node``'s answer; raises a :class:`NodeCallError` instead, within
        ``timeout_s`` (the adapter's default when ``None``)."""
        ...

    def stats(self) -> dict[str, int]:
        """Counters since start: ``calls``, ``answered``, ``failed``, ``timeouts``,
        ``unreachable``, ``served``, ``busy`` and the adapter's own."""
        ...

    async def close(self) -> None:
        """Stop serving; calls still waiting fail with :class:`NodeUnreachable`."""
        ...
