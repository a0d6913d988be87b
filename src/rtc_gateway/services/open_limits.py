"""What one address and one identity may hold open at once, urgent included.

An opening takes its place before its record is written (the write is awaited), so
openings racing on several sockets cannot all slip under a cap. Each open conversation
remembers the address it came from, which is what a report of abuse blocks.
"""

from dataclasses import dataclass, field

from rtc_gateway.domain.addresses import address_key
from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.errors import Conflict, RateLimited
from rtc_gateway.services.limit_log import LimitLog


@dataclass(slots=True)
class _Holder:
    open_ids: set[str] = field(default_factory=set)
    pending: int = 0

    def count(self) -> int:
        return len(self.open_ids) + self.pending


@dataclass(frozen=True, slots=True)
class Place:
    """A reserved opening: confirm it with the conversation, or release it."""

    identity: str
    address: str


class OpenLimits:
    def __init__(self, max_per_identity: int, max_per_address: int, trips: LimitLog) -> None:
        self._max_per_identity = max_per_identity
        self._max_per_address = max_per_address
        self._trips = trips
        self._by_identity: dict[str, _Holder] = {}
        self._by_address: dict[str, _Holder] = {}
        self._address_of: dict[str, str] = {}

    def reserve(self, identity: str, remote: str, already_open: int) -> Place:
        """``already_open``: the identity's open conversations the service knows of
        (they may predate this process, restored from the evidence log)."""
        address = address_key(remote)
        mine = self._by_identity.get(identity) or _Holder()
        if max(already_open, len(mine.open_ids)) + mine.pending >= self._max_per_identity:
            self._trips.tripped("open_per_identity", identity=identity)
            raise Conflict("too many open conversations: close one first")
        theirs = self._by_address.get(address)
        if theirs is not None and theirs.count() >= self._max_per_address:
            self._trips.tripped("open_per_address", address=address)
            raise RateLimited("too many open conversations from this address; "
                              "retry when one is closed")
        self._holder(self._by_identity, identity).pending += 1
        self._holder(self._by_address, address).pending += 1
        return Place(identity, address)

    def confirm(self, place: Place, conversation: Conversation) -> None:
        if not conversation.is_open:
            self.release(place)
            return
        for table, key in ((self._by_identity, place.identity),
                           (self._by_address, place.address)):
            holder = table[key]
            holder.pending -= 1
            holder.open_ids.add(conversation.id)
        self._address_of[conversation.id] = place.address

    def release(self, place: Place) -> None:
        for table, key in ((self._by_identity, place.identity),
                           (self._by_address, place.address)):
            table[key].pending -= 1
            self._forget_if_empty(table, key)

    async def closed(self, conversation: Conversation) -> None:
        """Listener of the conversation service: the slot is free again."""
        address = self._address_of.pop(conversation.id, None)
        for table, key in ((self._by_identity, conversation.citizen_id),
                           (self._by_address, address)):
            holder = table.get(key) if key is not None else None
            if holder is not None and key is not None:
                holder.open_ids.discard(conversation.id)
                self._forget_if_empty(table, key)

    def address_of(self, conversation_id: str) -> str | None:
        """The address an open conversation came from, if opened since this process started."""
        return self._address_of.get(conversation_id)

    @staticmethod
    def _holder(table: dict[str, _Holder], key: str) -> _Holder:
        holder = table.get(key)
        if holder is None:
            holder = table[key] = _Holder()
        return holder

    @staticmethod
    def _forget_if_empty(table: dict[str, _Holder], key: str) -> None:
        if table[key].count() == 0:
            del table[key]
