"""Supervisors find any conversation, open or closed, to follow it or export it."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rtc_gateway.domain.conversation import Status
from rtc_gateway.domain.errors import BadRequest
from rtc_gateway.domain.reference import as_reference, conversation_reference
from rtc_gateway.domain.topics import TOPICS_BY_ID
from rtc_gateway.ports.conversation_index import ConversationIndex, IndexedConversation, IndexQuery
from rtc_gateway.ports.conversation_store import ConversationStore
from rtc_gateway.ports.routing_state import RoutingState

LOCAL_DAYS = ZoneInfo("Europe/Paris")
"""Dates typed by staff are days in French time."""
STATUSES = ("queued", "assigned", "open", "closed")
FIRST_WORDS = 80
ID_PREFIX = "cv_"
SCAN_ALL = 5000
"""A reference is a hash of the id, not a prefix: the index's whole window is scanned."""


@dataclass(frozen=True, slots=True)
class SearchRequest:
    text: str = ""
    """A conversation's reference (``K7QD-9XMF``), or the beginning of its id, with or
    without its ``cv_`` prefix."""
    status: str | None = None
    topic: str | None = None
    opened_from: date | None = None
    opened_to: date | None = None
    """Inclusive last day."""
    limit: int = 50


@dataclass(frozen=True, slots=True)
class FoundConversation:
    indexed: IndexedConversation
    status: str
    agent_id: str | None
    first_words: str | None


class ConversationSearch:
    def __init__(self, index: ConversationIndex, store: ConversationStore,
                 routing: RoutingState) -> None:
        """``routing``: the state of conversations other nodes hold (waiting or with
        whom), the local ``store`` having only this node's."""
        self._index = index
        self._store = store
        self._routing = routing

    async def search(self, request: SearchRequest) -> list[FoundConversation]:
        if request.status is not None and request.status not in STATUSES:
            raise BadRequest(f"status must be one of {', '.join(STATUSES)}")
        if request.topic is not None and request.topic not in TOPICS_BY_ID:
            raise BadRequest("unknown topic")
        live_only = request.status in ("queued", "assigned")
        reference = as_reference(request.text)
        indexed = await self._index.search(IndexQuery(
            id_prefix="" if reference else _id_prefix(request.text),
            topic=request.topic,
            opened_from=_start_of(request.opened_from),
            opened_before=_start_of(request.opened_to + timedelta(days=1))
            if request.opened_to else None,
            closed=None if request.status is None else request.status == "closed",
            limit=SCAN_ALL if reference else request.limit * 4 if live_only else request.limit))
        if reference is not None:  # eight symbols may also be the start of an id
            prefix = _id_prefix(request.text)
            indexed = [item for item in indexed
                       if conversation_reference(item.conversation_id) == reference
                       or item.conversation_id.startswith(prefix)][:request.limit * 4]
        found = [await self._with_live_state(item) for item in indexed]
        if live_only:
            found = [f for f in found if f.status == request.status]
        return found[:request.limit]

    async def _with_live_state(self, item: IndexedConversation) -> FoundConversation:
        live = self._store.get(item.conversation_id)
        agent_id = live.agent_id if live is not None else None
        if item.closed or (live is not None and live.status is Status.CLOSED):
            status = "closed"
        elif live is not None:
            status = live.status.value
        else:
            status, agent_id = await self._held_elsewhere(item.conversation_id)
        first = item.first_text
        if first is not None and len(first) > FIRST_WORDS:
            first = first[:FIRST_WORDS].rsplit(" ", 1)[0] + "…"
        return FoundConversation(item, status, agent_id, first)

    async def _held_elsewhere(self, conversation_id: str) -> tuple[str, str | None]:
        """What the shared routing state says of an open conversation held by another
        node: with an officer, waiting, or neither (``open``: moving between nodes)."""
        agent_id = await self._routing.agent_of(conversation_id)
        if agent_id is not None:
            return "assigned", agent_id
        if await self._routing.position(conversation_id) is not None:
            return "queued", None
        return "open", None


def _start_of(day: date | None) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, time(0), LOCAL_DAYS)


def _id_prefix(text: str) -> str:
    text = text.strip()
    return text if not text or text.startswith(ID_PREFIX) else ID_PREFIX + text
