"""``/api/v1/advice``: themes, the list (by theme, full-text ``q``), one article.
Public reads, limited per address."""

from dataclasses import dataclass

from aiohttp import web

from rtc_gateway.gateway.advice_schemas import (
    AdviceArticle,
    AdviceList,
    ThemesAnswer,
    summary_of,
    theme_view,
)
from rtc_gateway.gateway.case_routes import json_response, refusals
from rtc_gateway.gateway.public_reads import PublicReadLimit
from rtc_gateway.services.advice.catalogue import AdviceCatalogue
from rtc_gateway.services.advice.rendering import blocks_of, html_of


@dataclass(frozen=True)
class AdviceRoutes:
    catalogue: AdviceCatalogue
    limit: PublicReadLimit

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/api/v1/advice/themes", refusals(self.themes))
        app.router.add_get("/api/v1/advice", refusals(self.find))
        app.router.add_get("/api/v1/advice/{advice_id}", refusals(self.one))

    async def themes(self, request: web.Request) -> web.Response:
        self.limit.admit(request)
        return json_response(ThemesAnswer([theme_view(t) for t in self.catalogue.themes()]))

    async def find(self, request: web.Request) -> web.Response:
        self.limit.admit(request)
        theme = request.query.get("theme") or None
        found = self.catalogue.find(theme, request.query.get("q"))
        return json_response(AdviceList([summary_of(a) for a in found]))

    async def one(self, request: web.Request) -> web.Response:
        self.limit.admit(request)
        advice = self.catalogue.get(request.match_info["advice_id"])
        labels = {t.id: t.label for t in self.catalogue.themes()}
        summary = summary_of(advice)
        return json_response(AdviceArticle(
            id=summary.id, theme=summary.theme, title=summary.title, summary=summary.summary,
            published_at=summary.published_at, theme_label=labels.get(advice.theme, ""),
            blocks=blocks_of(advice.body), html=html_of(advice.body)))
