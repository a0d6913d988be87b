"""Which namespace sockets are in which room, per namespace."""

from collections.abc import Iterable
from typing import Generic, TypeVar

Member = TypeVar("Member")


class RoomIndex(Generic[Member]):
    """Rooms by namespace, then by name; members keyed by their sid, in join order."""

    def __init__(self) -> None:
        self._namespaces: dict[str, dict[str, dict[str, Member]]] = {}

    def join(self, namespace: str, room: str, sid: str, member: Member) -> None:
        rooms = self._namespaces.setdefault(namespace, {})
        members = rooms.get(room)
        if members is None:
            rooms[room] = members = {}
        members[sid] = member

    def leave(self, namespace: str, room: str, sid: str) -> None:
        rooms = self._namespaces.get(namespace)
        members = rooms.get(room) if rooms is not None else None
        if rooms is not None and members is not None:
            members.pop(sid, None)
            if not members:
                del rooms[room]

    def leave_all(self, namespace: str, rooms: Iterable[str], sid: str) -> None:
        for room in rooms:
            self.leave(namespace, room, sid)

    def members(self, namespace: str, room: str) -> Iterable[Member]:
        rooms = self._namespaces.get(namespace)
        members = rooms.get(room) if rooms is not None else None
        return () if members is None else members.values()
