"""Client events about a conversation another node holds: sent to that node, answered here.

The node a client is connected to checks its rate and its identity, parses the event,
and, when the conversation named by its ``conversation_id`` lives on another node
(``services/conversation_homes.py``), forwards the raw payload with who sent it; the
home serves it with the same handler as for its own clients and the acknowledgement
travels back. Video events name a room, whose id begins with its node's tag
(``services/video_rooms.py``), so they go to the node that relays that room. What the
handler emits reaches the client through the bus, since the sid names the client's
node. ``conversation:list`` asks every node for its part.
"""

import logging
from typing import Any

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.errors import Unavailable
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.rate_limit import TokenBucket
from rtc_gateway.domain.roles import Actor, Role
from rtc_gateway.gateway.acks import Ack, failure
from rtc_gateway.gateway.connections import Connection
from rtc_gateway.gateway.dispatcher import EventDispatcher
from rtc_gateway.realtime.node_sids import SEPARATOR, node_tag
from rtc_gateway.services.conversation_homes import ConversationHomesService, NodeGone

log = logging.getLogger(__name__)
EVENT_CALL = "event"
LIST_EVENT = "conversation:list"
ROOM_ID_START = "vr_"


class EventForwarding:
    def __init__(self, homes: ConversationHomesService) -> None:
        self._homes = homes
        self._dispatchers: dict[str, EventDispatcher] = {}
        homes.serve(EVENT_CALL, self._serve)

    def attach(self, dispatcher: EventDispatcher) -> None:
        self._dispatchers[dispatcher.namespace] = dispatcher
        dispatcher.forward_with(self._forward)

    async def _forward(self, connection: Connection, event: str, payload: Any,
                       parsed: Any) -> Ack | None:
        if connection.forwarded:
            await self._take_back_if_homed_here(parsed)
            return None
        request = _request(connection, event, payload)
        answer: Ack = failure("unavailable", "the conversation is moving to another node;"
                                             " retry")
        try:
            for _attempt in range(2):  # again once the home is found dead, or not there
                where = await self._node_for(parsed)
                if where is None:
                    return None
                try:
                    answer = await self._homes.call(where, EVENT_CALL, request)
                except NodeGone:
                    continue
                if answer["ok"] or answer["error"]["code"] != "not_found":
                    return answer
                self._forget(parsed)  # closed there, or moved: look again once
            return answer
        except Unavailable as error:
            return failure(error.code, error.message)

    async def _take_back_if_homed_here(self, parsed: Any) -> None:
        """A node sent this because the conversation's home is here: rebuild it first if
        this node took it over and could not rebuild it then (its log read failed)."""
        conversation_id = getattr(parsed, "conversation_id", None)
        if conversation_id is None:
            return
        try:
            await self._homes.locate(conversation_id)
        except Unavailable:
            return  # the handler answers with what this node holds

    def _forget(self, parsed: Any) -> None:
        conversation_id = getattr(parsed, "conversation_id", None)
        if conversation_id is not None:
            self._homes.forget(conversation_id)

    async def _node_for(self, parsed: Any) -> str | None:
        """The other node an event is about, ``None`` for this one: its conversation's
        home, or the node a video room's id names."""
        conversation_id = getattr(parsed, "conversation_id", None)
        if conversation_id is not None:
            where = await self._homes.locate(conversation_id)
            return where if isinstance(where, str) else None
        room_id = getattr(parsed, "room_id", None)
        if isinstance(room_id, str) and room_id.startswith(ROOM_ID_START):
            tag, dot, _ = room_id[len(ROOM_ID_START):].partition(SEPARATOR)
            if dot:
                return next((node for node in self._homes.other_nodes()
                             if node_tag(node) == tag), None)
        return None

    async def lists_elsewhere(self, connection: Connection) -> list[dict[str, Any]]:
        """The conversations other nodes hold that ``connection``'s actor may see; a node
        that does not answer is left out (logged), the rest still shown."""
        if connection.forwarded:
            return []
        found: list[dict[str, Any]] = []
        for node in self._homes.other_nodes():
            try:
                answer = await self._homes.call(node, EVENT_CALL,
                                                _request(connection, LIST_EVENT, {}))
            except Unavailable:
                continue
            if isinstance(answer, dict) and answer.get("ok"):
                found.extend(answer.get("conversations", []))
        return found

    async def _serve(self, request: Any) -> Ack:
        dispatcher = self._dispatchers.get(request.get("namespace"))
        if dispatcher is None:
            return failure("bad_request", "unknown namespace")
        return await dispatcher.run_forwarded(_connection(request, dispatcher.namespace),
                                              str(request["event"]), request["payload"])


def _request(connection: Connection, event: str, payload: Any) -> dict[str, Any]:
    who: dict[str, Any] = {"sid": connection.sid, "role": connection.actor.role.value,
                           "id": connection.actor.id, "remote": connection.remote}
    if connection.profile is not None:
        who["profile"] = _profile_wire(connection.profile)
    return {"namespace": connection.namespace, "event": event, "payload": payload,
            "who": who}


def _connection(request: dict[str, Any], namespace: str) -> Connection:
    who = request["who"]
    profile = who.get("profile")
    return Connection(sid=str(who["sid"]), namespace=namespace,
                      actor=Actor(Role(who["role"]), str(who["id"])),
                      bucket=TokenBucket.full(1.0, 1.0, 0.0),
                      profile=_profile(profile) if profile is not None else None,
                      remote=str(who.get("remote", "")), forwarded=True)


def _profile_wire(profile: AgentProfile) -> dict[str, Any]:
    return {"agent_id": profile.agent_id, "display_name": profile.display_name,
            "service": profile.service.value, "role": profile.role.value,
            "topics": sorted(profile.topics), "languages": sorted(profile.languages),
            "max_chats": profile.max_chats, "unit": profile.unit}


def _profile(data: dict[str, Any]) -> AgentProfile:
    return AgentProfile(str(data["agent_id"]), str(data["display_name"]),
                        Force(data["service"]), Role(data["role"]),
                        frozenset(data["topics"]), frozenset(data["languages"]),
                        int(data["max_chats"]), data.get("unit"))
