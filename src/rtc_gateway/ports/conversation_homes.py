"""Which node holds each open conversation: its home, the one node that numbers it.

With several nodes, a conversation lives in the memory of one node at a time, its
home: the node its citizen opened it on. Every other node forwards what a client asks
of it to the home (``services/conversation_homes.py``), so ``seq`` stays gapless and
unique and the hash chain has one writer. A home is a node id and an epoch; when the
home dies, a survivor moves it to itself with a compare-and-set on the home it saw,
so of several survivors exactly one rebuilds the conversation from the evidence log,
and the epoch says how many times the conversation moved.
"""

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Home:
    node: str
    epoch: int


class ConversationHomes(Protocol):
    @property
    def node_id(self) -> str:
        """This node's id: the home :meth:`settle` and :meth:`move_here` write."""
        ...

    async def settle(self, conversation_id: str) -> Home:
        """Make this node the home of a conversation it just opened (epoch 1)."""
        ...

    async def home_of(self, conversation_id: str) -> Home | None:
        """The conversation's home, ``None`` when no node holds it (closed, or never)."""
        ...

    async def move_here(self, conversation_id: str, seen: Home | None) -> Home | None:
        """Take the conversation over if its home is still ``seen``; the new home, or
        ``None`` when another node changed it first."""
        ...

    async def leave(self, conversation_id: str) -> None:
        """Forget the conversation's home if it is this node (it closed here)."""
        ...

    async def homed_at(self, node: str) -> list[str]:
        """The conversations ``node`` is the home of."""
        ...

    async def close(self) -> None: ...
