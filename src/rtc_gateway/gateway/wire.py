"""Domain objects as the contract spells them on the wire."""

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Any

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.message import Message
from rtc_gateway.domain.places import nearest_place
from rtc_gateway.domain.reference import conversation_reference
from rtc_gateway.domain.routing import QueueStat
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.domain.wait_estimate import QueuePlace
from rtc_gateway.domain.zones import PoliceZone, load_default_zones
from rtc_gateway.ports.notifier import AgentOverview

_zones: "Callable[[], tuple[PoliceZone, ...]]" = cache(load_default_zones)
"""The shipped areas, read once: a staff view names the one nearest a position."""
_last_spelled: tuple[Message | None, dict[str, Any]] = (None, {})


def message_wire(message: Message) -> dict[str, Any]:
    """The relay to the other side and the sender's ack spell the same message one after
    the other: the second spelling is the first one's dict (no caller modifies it)."""
    global _last_spelled
    last, spelled = _last_spelled
    if last is message:
        return spelled
    wire: dict[str, Any] = {
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "sender": message.sender.value,
        "text": message.text,
        "sent_at": format_utc(message.sent_at),
    }
    if message.client_msg_id is not None:
        wire["client_msg_id"] = message.client_msg_id
    _last_spelled = (message, wire)
    return wire


def agent_public(profile: AgentProfile) -> dict[str, str]:
    """What a citizen is told about its officer: a display name and a force, nothing more."""
    return {"display_name": profile.display_name, "service": profile.service.value}


def queue_place_wire(place: QueuePlace) -> dict[str, Any]:
    return {
        "position": place.position,
        "estimated_wait_s": place.estimated_wait_s,
        "no_agent_since": format_utc(place.no_agent_since) if place.no_agent_since else None,
    }


def conversation_wire(conversation: Conversation, *, agent: AgentProfile | None = None,
                      place: QueuePlace | None = None,
                      staff_view: bool = False,
                      citizen_presence: dict[str, Any] | None = None,
                      waiting_since: datetime | None = None) -> dict[str, Any]:
    """``staff_view`` adds what officers need and citizens already know: who and where."""
    wire: dict[str, Any] = {
        "id": conversation.id,
        "reference": conversation_reference(conversation.id),
        "status": conversation.status.value,
        "topic": conversation.topic,
        "service": conversation.service.value if conversation.service else "auto",
        "priority": conversation.priority.value,
        "discreet": conversation.discreet,
        "language": conversation.language,
        "opened_at": format_utc(conversation.opened_at),
        "last_seq": conversation.last_seq,
    }
    if place is not None:
        wire.update(queue_place_wire(place))
    if agent is not None:
        wire["agent"] = agent_public(agent)
    if staff_view:
        wire["citizen_id"] = conversation.citizen_id
        if conversation.agent_id is not None:
            wire["agent_id"] = conversation.agent_id
        if conversation.location is not None:
            wire["location"] = {"lat": conversation.location.lat,
                                "lon": conversation.location.lon}
            near = nearest_place(conversation.location, _zones())
            if near is not None:
                wire["place"] = {"name": near.name,
                                 "distance_km": round(near.distance_km, 1),
                                 "inside": near.inside}
        if citizen_presence is not None:
            wire["citizen_presence"] = citizen_presence
        if waiting_since is not None:
            wire["waiting_since"] = format_utc(waiting_since)
    return wire


def agent_session_wire(profile: AgentProfile) -> dict[str, Any]:
    return {
        "agent_id": profile.agent_id,
        "display_name": profile.display_name,
        "service": profile.service.value,
        "role": profile.role.value,
        "topics": sorted(profile.topics),
        "languages": sorted(profile.languages),
        "max_chats": profile.max_chats,
    }


def queue_stat_wire(stat: QueueStat) -> dict[str, Any]:
    return {"service": stat.service, "priority": stat.priority.value, "length": stat.length,
            "oldest_wait_s": stat.oldest_wait_s}


def agent_overview_wire(overview: AgentOverview) -> dict[str, Any]:
    return {
        "agent_id": overview.profile.agent_id,
        "display_name": overview.profile.display_name,
        "service": overview.profile.service.value,
        "role": overview.profile.role.value,
        "status": overview.presence,
        "load": overview.load,
        "max_chats": overview.profile.max_chats,
    }
