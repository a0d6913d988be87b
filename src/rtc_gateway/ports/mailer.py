"""Outgoing e-mail."""

from typing import Protocol

import msgspec


class MailAttachment(msgspec.Struct, frozen=True):
    filename: str
    content_type: str
    """``text/calendar; method=REQUEST`` and the like: main type, subtype, parameters."""
    data: bytes


class OutgoingMail(msgspec.Struct, frozen=True):
    to: str
    subject: str
    text: str
    attachments: tuple[MailAttachment, ...] = ()


class Mailer(Protocol):
    async def send(self, mail: OutgoingMail) -> None:
        """Hand ``mail`` to the relay; ``Unavailable`` when it could not be."""
        ...
