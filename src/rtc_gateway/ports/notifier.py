"""How the services tell connected people what happened, without knowing the transport."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.cases import Case
from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.message import Message
from rtc_gateway.domain.routing import QueueStat
from rtc_gateway.domain.wait_estimate import QueuePlace


@dataclass(frozen=True, slots=True)
class AgentOverview:
    profile: AgentProfile
    presence: str
    load: int


class Notifier(Protocol):
    async def message(self, conversation: Conversation, message: Message,
                      origin: str | None) -> None:
        """To the conversation's citizen and agent, except the connection it came from."""
        ...

    async def typing(self, conversation: Conversation, sender: str, typing: bool,
                     origin: str | None) -> None: ...

    async def read(self, conversation: Conversation, seq: int, reader: str,
                   origin: str | None) -> None: ...

    async def queued(self, conversation: Conversation, place: QueuePlace) -> None: ...

    async def assigned(self, conversation: Conversation, agent: AgentProfile,
                       messages: Sequence[Message]) -> None:
        """The agent gets the conversation and its history, the citizen the agent's name."""
        ...

    async def transferred_away(self, conversation: Conversation, agent_id: str) -> None:
        """The agent that held a conversation no longer does (transfer or re-queue)."""
        ...

    async def closed(self, conversation: Conversation, reason: str,
                     agent_id: str | None) -> None: ...

    async def queue_stats(self, stats: Sequence[QueueStat]) -> None:
        """To every connected agent and supervisor."""
        ...

    async def agents_overview(self, agents: Sequence[AgentOverview]) -> None:
        """To supervisors."""
        ...


class CaseNotifier(Protocol):
    async def case_updated(self, case: Case, change: str) -> None:
        """To the case's citizen: ``change`` (``decision``, ``message``, ``attachment``,
        ``withdrawn``) happened to ``case``."""
        ...
