"""A draft: a filing saved half-way, completed and submitted later by its citizen."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rtc_gateway.domain.errors import NotFound

MAX_DRAFTS_PER_CITIZEN = 20


@dataclass(frozen=True, slots=True)
class Draft:
    id: str
    citizen_id: str
    created_at: datetime
    updated_at: datetime
    body: dict[str, Any]
    """The filing as far as written, unchecked until it is submitted."""


def owned(draft: Draft | None, citizen_ids: frozenset[str]) -> Draft:
    """The draft, when one of ``citizen_ids`` wrote it; 404 otherwise."""
    if draft is None or draft.citizen_id not in citizen_ids:
        raise NotFound("no such draft")
    return draft
