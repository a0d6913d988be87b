"""Prevention advice: short articles by theme, published from a given time."""

import re
from dataclasses import dataclass
from datetime import datetime

ADVICE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_ADVICE_ID_CHARS = 80
MAX_TITLE_CHARS = 200
MAX_SUMMARY_CHARS = 600
MAX_BODY_CHARS = 20_000
MAX_QUERY_CHARS = 200


@dataclass(frozen=True, slots=True)
class Theme:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Advice:
    id: str
    theme: str
    title: str
    summary: str
    body: str
    """Markdown, rendered without raw HTML (see ``services.advice.rendering``)."""
    published_at: datetime

    def is_published(self, now: datetime) -> bool:
        return self.published_at <= now


@dataclass(frozen=True, slots=True)
class Subscription:
    citizen_id: str
    themes: frozenset[str]
    seen_until: datetime
    """Advice published after this is what the citizen has not been shown yet."""


def newest_first(advice: list[Advice]) -> list[Advice]:
    return sorted(advice, key=lambda a: (a.published_at, a.id), reverse=True)
