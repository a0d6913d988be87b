from enum import StrEnum


class Priority(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """Lower goes first: urgent before normal."""
        return 0 if self is Priority.URGENT else 1
