"""Who may see and act on a conversation."""

from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.roles import Actor, Role


def may_act_on(actor: Actor, conversation: Conversation) -> bool:
    """The citizen who opened it, the agent it is assigned to, or any supervisor."""
    if actor.role is Role.CITIZEN:
        return conversation.citizen_id == actor.id
    if actor.role is Role.SUPERVISOR:
        return True
    if actor.role is Role.AGENT:
        return conversation.agent_id == actor.id
    return False
