"""One client (an Engine.IO session) and its namespace sockets."""

from __future__ import annotations

from dataclasses import dataclass, field

from rtc_gateway.realtime.links import Link


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """What a namespace may know of the client at connect time."""

    remote: str
    cookie: str | None = None
    """The handshake's ``Cookie`` header (a verified session cookie rides on it)."""


@dataclass(eq=False, slots=True)
class NamespaceSocket:
    """A client's connection to one namespace; ``sid`` is what handlers know it by."""

    sid: str
    namespace: str
    client: ClientConnection
    rooms: list[str] = field(default_factory=list)
    """A list, not a set: a socket is in one to three rooms, and idle sockets are many."""


class ClientConnection:
    """A client whichever way its packets travel; ``link`` changes when it upgrades from
    long-polling to a WebSocket, its namespace sockets stay."""

    __slots__ = ("connect_deadline", "cookie", "link", "namespaces", "next_ping_at",
                 "pong_deadline", "remote", "sid", "skip_binary")

    def __init__(self, link: Link, remote: str, next_ping_at: float,
                 connect_deadline: float | None, sid: str | None = None,
                 cookie: str | None = None) -> None:
        self.link = link
        self.remote = remote
        self.cookie = cookie
        self.sid = sid
        """Kept only for a long-polling session, which the client names in every request."""
        self.namespaces: dict[str, NamespaceSocket] = {}
        self.pong_deadline: float | None = None
        self.next_ping_at = next_ping_at
        self.connect_deadline = connect_deadline
        """Until the first namespace CONNECT succeeds: the client is closed after it."""
        self.skip_binary = 0
        """Binary attachments still to drop after a refused binary packet."""

    def send(self, payload: bytes, binary: bool) -> None:
        self.link.send(payload, binary)

    def abort(self) -> None:
        self.link.abort()

    def close_soon(self, code: int) -> None:
        self.link.close_soon(code)
