"""The bus inside one process: one node has nobody to tell; nodes on one hub tell each other."""

from rtc_gateway.ports.bus import BusPacket, Receiver


class MemoryBusHub:
    """Connects the buses of several nodes living in one process (tests of the realtime
    layer); a node alone gets a hub of its own, and its packets go nowhere."""

    def __init__(self) -> None:
        self._members: dict[str, Receiver] = {}

    def join(self, node_id: str, receive: Receiver) -> None:
        self._members[node_id] = receive

    def leave(self, node_id: str) -> None:
        self._members.pop(node_id, None)

    def deliver(self, sender: str, packet: BusPacket) -> int:
        others = [receive for node, receive in self._members.items() if node != sender]
        for receive in others:
            receive(packet)
        return len(others)


class MemoryBus:
    """Implements :class:`rtc_gateway.ports.bus.Bus` in memory."""

    def __init__(self, node_id: str = "node", hub: MemoryBusHub | None = None) -> None:
        self._node_id = node_id
        self._hub = hub or MemoryBusHub()
        self._published = 0
        self._received = 0

    @property
    def node_id(self) -> str:
        return self._node_id

    @property
    def connected(self) -> bool:
        return True

    async def start(self, receive: Receiver) -> None:
        def counted(packet: BusPacket) -> None:
            self._received += 1
            receive(packet)
        self._hub.join(self._node_id, counted)

    def publish(self, packet: BusPacket) -> None:
        self._published += 1
        self._hub.deliver(self._node_id, packet)

    def stats(self) -> dict[str, int]:
        return {"published": self._published, "received": self._received, "dropped": 0,
                "reconnects": 0}

    async def close(self) -> None:
        self._hub.leave(self._node_id)
