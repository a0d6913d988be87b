"""After a transfer: a warning for the officer and a notice for the citizen when nobody
of the receiving force is available (the transfer stands; the conversation waits)."""

from typing import Any

from rtc_gateway.domain.conversation import Conversation, Status
from rtc_gateway.gateway.rooms import CITIZEN_NAMESPACE, citizen_room
from rtc_gateway.realtime.server import RealtimeServer
from rtc_gateway.services.routing import RoutingService

NOBODY_AVAILABLE = "nobody_available"


class TransferNotice:
    def __init__(self, server: RealtimeServer, routing: RoutingService) -> None:
        self._server = server
        self._routing = routing

    async def after(self, conversation: Conversation) -> dict[str, Any] | None:
        """Tell the citizen where the conversation went; the officer's warning, if any."""
        service = conversation.service.value if conversation.service else "auto"
        waiting = conversation.status is Status.QUEUED
        available = not waiting or await self._routing.serving_slots(conversation.service) > 0
        self._server.emit("conversation:transferred", {
            "conversation_id": conversation.id,
            "service": service,
            "agents_available": available,
        }, room=citizen_room(conversation.citizen_id), namespace=CITIZEN_NAMESPACE)
        if available:
            return None
        return {"code": NOBODY_AVAILABLE,
                "message": "no agent of that force is available now; the conversation waits"}
