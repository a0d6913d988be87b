"""Who is acting: citizens, officers and the people who oversee them."""

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    CITIZEN = "citizen"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    REVIEWER = "reviewer"
    SYSTEM = "system"


STAFF_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.REVIEWER})


@dataclass(frozen=True, slots=True)
class Actor:
    """An authenticated identity; ``id`` is pseudonymous (never a civil identity)."""

    role: Role
    id: str

    @classmethod
    def system(cls) -> "Actor":
        """The gateway itself, for records no person caused (assignment, re-queue)."""
        return cls(Role.SYSTEM, "gateway")
