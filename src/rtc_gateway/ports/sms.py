"""Outgoing text messages (SMS)."""

from typing import Protocol


class SmsSender(Protocol):
    async def send(self, phone: str, text: str) -> None:
        """Hand ``text`` to the SMS provider for ``phone``; ``Unavailable`` when it could
        not be."""
        ...
