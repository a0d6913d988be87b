"""Which nodes of the service are alive: each one heartbeats, a silent one is gone.

A node that is killed or cut off stops heartbeating; within a few seconds every other
node's registry reports it gone (``on_node_gone``), which is where the work it held is
taken over (its officers' grace period, its video rooms' end).
"""

from collections.abc import Callable
from typing import Protocol


class NodeIdInUse(RuntimeError):
    """Another live process already heartbeats under this node id."""


class RegistryUnavailable(RuntimeError):
    """The registry did not answer when this node tried to register."""


class NodeRegistry(Protocol):
    @property
    def node_id(self) -> str: ...

    @property
    def reachable(self) -> bool:
        """Whether this node's last heartbeat reached the registry (for readiness)."""
        ...

    async def start(self) -> None:
        """Register this node and begin heartbeats: ``NodeIdInUse`` when the id is taken,
        ``RegistryUnavailable`` when the registry does not answer."""
        ...

    def live_nodes(self) -> frozenset[str]:
        """The nodes alive at the last look, this one included."""
        ...

    def on_node_gone(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(node_id)`` once for each other node that stops heartbeating."""
        ...

    async def close(self) -> None:
        """Stop heartbeating and leave at once (the others see this node gone)."""
        ...
