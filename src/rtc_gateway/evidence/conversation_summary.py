"""What one conversation's records say about it, for finding it: state, topic, force,
officers, counts. Built from the evidence log's records alone; never holds a text."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.ports.evidence_log import LoggedRecord, RecordKind

OPEN, CLOSED = "open", "closed"


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    conversation_id: str
    status: str
    opened_at: datetime
    last_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    topic: str | None
    service: str | None
    priority: str | None
    discreet: bool
    citizen_id: str
    agents: tuple[str, ...]
    """Officers the conversation was assigned to, in order (display name and id)."""
    messages: int
    video_calls: int
    exports: int

    def as_json(self) -> dict[str, Any]:
        return {
            "conversation_id": self.conversation_id,
            "status": self.status,
            "opened_at": format_utc(self.opened_at),
            "last_at": format_utc(self.last_at),
            "closed_at": format_utc(self.closed_at) if self.closed_at else None,
            "close_reason": self.close_reason,
            "topic": self.topic,
            "service": self.service,
            "priority": self.priority,
            "discreet": self.discreet,
            "citizen_id": self.citizen_id,
            "agents": list(self.agents),
            "messages": self.messages,
            "video_calls": self.video_calls,
            "exports": self.exports,
        }


def summarise(records: Sequence[LoggedRecord]) -> ConversationSummary:
    """The summary of one conversation's records, in chain order (at least one)."""
    first = records[0]
    opened = next((r for r in records if r.kind == RecordKind.CONVERSATION_OPENED), first)
    closed = next((r for r in records if r.kind == RecordKind.CLOSED), None)
    service = opened.data.get("service")
    agents: list[str] = []
    for record in records:
        if record.kind == RecordKind.ASSIGNED:
            service = record.data.get("service", service)
            agent = officer_label(record.data)
            if agent and agent not in agents:
                agents.append(agent)
    return ConversationSummary(
        conversation_id=first.conversation_id,
        status=CLOSED if closed is not None else OPEN,
        opened_at=opened.at,
        last_at=records[-1].at,
        closed_at=closed.at if closed is not None else None,
        close_reason=_text_or_none(closed.data.get("reason")) if closed is not None else None,
        topic=_text_or_none(opened.data.get("topic")),
        service=_text_or_none(service),
        priority=_text_or_none(opened.data.get("priority")),
        discreet=opened.data.get("discreet") is True,
        citizen_id=opened.actor_id,
        agents=tuple(agents),
        messages=sum(1 for r in records if r.kind == RecordKind.MESSAGE),
        video_calls=sum(1 for r in records if r.kind == RecordKind.VIDEO_STARTED),
        exports=sum(1 for r in records if r.kind == RecordKind.EXPORTED),
    )


def officer_label(data: Any) -> str | None:
    """``Lieutenant Martin (P-001)`` from an assignment's data, or the id alone."""
    agent_id = _text_or_none(data.get("agent_id") or data.get("agent"))
    name = _text_or_none(data.get("agent_name"))
    if agent_id is None:
        return name
    return f"{name} ({agent_id})" if name else agent_id


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
