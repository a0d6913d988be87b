"""Erasing the texts of one conversation's (or case's) records before their retention
ends: the records and their commitments stay, so the log still verifies."""

from typing import Protocol


class TextEraser(Protocol):
    async def erase_text_of(self, conversation_id: str) -> int:
        """Erase text and salt of every record of ``conversation_id``; how many."""
        ...
