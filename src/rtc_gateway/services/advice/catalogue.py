"""The advice catalogue: themes, the published articles, search, and the articles that
became visible since the previous look (a file added to ``DATA/advice/``, or an
article's ``published`` time reached), which subscribers are then told about."""

import logging
from datetime import datetime

from rtc_gateway.domain.advice import MAX_QUERY_CHARS, Advice, Theme, newest_first
from rtc_gateway.domain.errors import BadRequest, NotFound
from rtc_gateway.ports.advice import AdviceIndex, AdviceSource
from rtc_gateway.ports.clock import Clock

log = logging.getLogger(__name__)
MAX_RESULTS = 50


class AdviceCatalogue:
    def __init__(self, source: AdviceSource, index: AdviceIndex, clock: Clock) -> None:
        self._source = source
        self._index = index
        self._clock = clock
        self._themes: dict[str, Theme] = {}
        self._all: dict[str, Advice] = {}
        self._visible: dict[str, Advice] = {}
        self._since: dict[str, datetime] = {}
        """When each visible article became visible: its ``published`` time, or the
        reload that found it (a file added later with an earlier date)."""
        self.refresh()

    def refresh(self) -> list[Advice]:
        """Reload the files; the articles visible now that were not before, oldest first."""
        themes, advice = self._source.load()
        now = self._clock.now()
        visible = {a.id: a for a in advice if a.is_published(now)}
        first = not self._all
        new = [] if first else [a for i, a in visible.items() if i not in self._visible]
        self._themes = {t.id: t for t in themes}
        self._all = {a.id: a for a in advice}
        if visible.keys() != self._visible.keys() or any(
                visible[i] != self._visible[i] for i in visible):
            self._index.replace(list(visible.values()))
        self._visible = visible
        self._since = {i: self._since.get(i, a.published_at if first else now)
                       for i, a in visible.items()}
        for article in new:
            self._since[article.id] = max(now, article.published_at)
        if new:
            log.info("advice published", extra={"advice": [a.id for a in new]})
        return sorted(new, key=lambda a: (a.published_at, a.id))

    def themes(self) -> list[Theme]:
        return list(self._themes.values())

    def check_theme(self, theme: str) -> str:
        if theme not in self._themes:
            raise BadRequest(f"unknown theme {theme[:40]!r}: see /api/v1/advice/themes")
        return theme

    def find(self, theme: str | None, query: str | None) -> list[Advice]:
        if theme is not None:
            self.check_theme(theme)
        if query is not None and len(query) > MAX_QUERY_CHARS:
            raise BadRequest(f"q is longer than {MAX_QUERY_CHARS} characters")
        if query is None or not query.strip():
            return newest_first([a for a in self._visible.values()
                                 if theme is None or a.theme == theme])[:MAX_RESULTS]
        ids = self._index.search(query, theme, MAX_RESULTS)
        return [self._visible[i] for i in ids if i in self._visible]

    def get(self, advice_id: str) -> Advice:
        advice = self._visible.get(advice_id[:100])
        if advice is None:
            raise NotFound("no such advice")
        return advice

    def visible_since(self, themes: frozenset[str], after: datetime) -> list[Advice]:
        """The articles of ``themes`` that became visible after ``after``, newest first."""
        return newest_first([a for i, a in self._visible.items()
                             if a.theme in themes and self._since[i] > after])
