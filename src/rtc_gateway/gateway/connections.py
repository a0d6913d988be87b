"""Who is behind each Socket.IO connection, and its rate-limit bucket (its identity's)."""

from collections.abc import Iterator
from dataclasses import dataclass

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.rate_limit import TokenBucket
from rtc_gateway.domain.roles import Actor
from rtc_gateway.security.tokens import TokenStamp


@dataclass(slots=True)
class Connection:
    sid: str
    namespace: str
    actor: Actor
    bucket: TokenBucket
    profile: AgentProfile | None = None
    """Set for staff connections (agents, supervisors, reviewers)."""
    remote: str = ""
    """The client's address, as the transport saw it at connect."""
    token: TokenStamp | None = None
    """The staff token it connected with, re-checked when revocations arrive."""
    forwarded: bool = False
    """A client of another node, whose event about a conversation held here that node
    forwarded (``gateway/forwarding.py``); not in this node's registry."""


class ConnectionRegistry:
    def __init__(self) -> None:
        self._by_sid: dict[str, Connection] = {}
        self._count_by_namespace: dict[str, int] = {}

    def add(self, connection: Connection) -> None:
        self._by_sid[connection.sid] = connection
        self._count_by_namespace[connection.namespace] = (
            self._count_by_namespace.get(connection.namespace, 0) + 1)

    def get(self, sid: str) -> Connection | None:
        return self._by_sid.get(sid)

    def remove(self, sid: str) -> Connection | None:
        connection = self._by_sid.pop(sid, None)
        if connection is not None:
            self._count_by_namespace[connection.namespace] -= 1
        return connection

    def in_namespace(self, namespace: str) -> Iterator[Connection]:
        return (c for c in list(self._by_sid.values()) if c.namespace == namespace)

    def count(self, namespace: str) -> int:
        return self._count_by_namespace.get(namespace, 0)
