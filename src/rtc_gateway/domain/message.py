from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Sender(StrEnum):
    CITIZEN = "citizen"
    AGENT = "agent"
    SYSTEM = "system"


MAX_TEXT_LENGTH = 4000


@dataclass(frozen=True, slots=True)
class Message:
    conversation_id: str
    seq: int
    sender: Sender
    text: str
    sent_at: datetime
    client_msg_id: str | None = None
