from datetime import datetime
from enum import StrEnum

import msgspec


class Sender(StrEnum):
    CITIZEN = "citizen"
    AGENT = "agent"
    SYSTEM = "system"


MAX_TEXT_LENGTH = 4000


class Message(msgspec.Struct, frozen=True, gc=False):
    """One chat message. Open conversations keep all of theirs in memory, so messages are
    left out of the cyclic garbage collector (they hold only text, numbers and a time,
    never a cycle): collections stay short however long the conversations grow."""

    conversation_id: str
    seq: int
    sender: Sender
    text: str
    sent_at: datetime
    client_msg_id: str | None = None
