"""Which namespace sockets are in which room, per namespace."""

from collections.abc import Iterable
from typing import Generic, TypeVar

Member = TypeVar("Member")


class RoomIndex(Generic[Member]):
    """Rooms keyed by ``(namespace, room)``; members keyed by their sid, in join order."""

    def __init__(self) -> None:
        self._rooms: dict[tuple[str, str], dict[str, Member]] = {}

    def join(self, namespace: str, room: str, sid: str, member: Member) -> None:
        self._rooms.setdefault((namespace, room), {})[sid] = member

    def leave(self, namespace: str, room: str, sid: str) -> None:
        members = self._rooms.get((namespace, room))
        if members is not None:
            members.pop(sid, None)
            if not members:
                del self._rooms[(namespace, room)]

    def leave_all(self, namespace: str, rooms: Iterable[str], sid: str) -> None:
        for room in rooms:
            self.leave(namespace, room, sid)

    def members(self, namespace: str, room: str) -> Iterable[Member]:
        members = self._rooms.get((namespace, room))
        return () if members is None else members.values()
