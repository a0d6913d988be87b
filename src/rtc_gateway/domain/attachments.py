"""Attachments of a case: the accepted types, recognised by their first bytes (never by
a file name or a declared type), and the rule that adds one to a case."""

from datetime import datetime

import msgspec

from rtc_gateway.domain.cases import AttachmentMeta, Case
from rtc_gateway.domain.errors import Conflict, DomainError

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"
IMAGE_TYPES = frozenset({JPEG, PNG})
ACCEPTED_TYPES = (JPEG, PNG, PDF)
SNIFF_BYTES = 8
"""How many leading bytes :func:`sniff` needs."""


class UnsupportedType(DomainError):
    code = "unsupported_type"


_MAGIC = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG), (b"%PDF-", PDF))


def sniff(head: bytes) -> str | None:
    """The accepted type whose signature ``head`` starts with, else ``None``."""
    for magic, content_type in _MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def is_sha256(value: str) -> bool:
    return len(value) == 64 and all(c in "0123456789abcdef" for c in value)


def add_attachment(case: Case, meta: AttachmentMeta, max_per_case: int,
                   at: datetime) -> Case:
    """``case`` with ``meta`` appended; 409 when the case is final, already holds that
    file or holds ``max_per_case`` attachments."""
    if case.is_final:
        raise Conflict(f"the case is {case.status.value}")
    if any(a.sha256 == meta.sha256 for a in case.attachments):
        raise Conflict("this file is already attached to the case")
    if len(case.attachments) >= max_per_case:
        raise Conflict(f"a case holds at most {max_per_case} attachments")
    return msgspec.structs.replace(case, attachments=(*case.attachments, meta), updated_at=at)
