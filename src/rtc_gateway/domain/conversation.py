"""A citizen's conversation with the forces, from opening to close."""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.message import Message
from rtc_gateway.domain.priority import Priority


class Status(StrEnum):
    QUEUED = "queued"
    ASSIGNED = "assigned"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Location:
    lat: float
    lon: float


@dataclass(slots=True)
class Conversation:
    """Mutable state of one conversation; every change to it is also an evidence record.

    ``service`` is ``None`` while the citizen asked for "either force" and no agent has
    taken the conversation yet.
    """

    id: str
    citizen_id: str
    topic: str
    service: Force | None
    priority: Priority
    discreet: bool
    language: str
    opened_at: datetime
    location: Location | None = None
    status: Status = Status.QUEUED
    agent_id: str | None = None
    assigned_at_s: float | None = None
    """Monotonic time of the current assignment, for handling-time statistics."""
    last_seq: int = 0
    opened_with: str | None = None
    """The ``client_msg_id`` of the ``conversation:open`` that created it, if any."""
    messages: list[Message] = field(default_factory=list)
    """Messages already durable, in seq order (a cache of the evidence log)."""
    by_client_msg_id: dict[str, Message] = field(default_factory=dict)
    """Durable messages by :func:`idempotency_key`, for idempotent sends."""

    def sent_before(self, key: str) -> Message | None:
        """The durable message sent under ``key``, an :func:`idempotency_key`."""
        return self.by_client_msg_id.get(key)

    def take_next_seq(self) -> int:
        self.last_seq += 1
        return self.last_seq

    def record_delivered(self, message: Message, key: str | None) -> None:
        """Keep ``messages`` in seq order even if durable writes resolve out of order.

        ``key`` is the message's :func:`idempotency_key`, ``None`` without a client id.
        """
        if key is not None:
            self.by_client_msg_id[key] = message
        if not self.messages or self.messages[-1].seq < message.seq:
            self.messages.append(message)
            return
        index = len(self.messages)
        while index > 0 and self.messages[index - 1].seq > message.seq:
            index -= 1
        self.messages.insert(index, message)

    @property
    def is_open(self) -> bool:
        return self.status is not Status.CLOSED


def idempotency_key(sender: str, sender_id: str, client_msg_id: str) -> str:
    """Who sent it (role and id: two officers, or an officer and a supervisor, may pick
    the same ``client_msg_id``) and the client's id, as one string rather than a tuple:
    nothing the garbage collector has to track."""
    return f"{sender}\x1f{sender_id}\x1f{client_msg_id}"
