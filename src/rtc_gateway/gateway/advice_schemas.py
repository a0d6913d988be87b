"""Prevention advice on the wire: the answers of ``/api/v1/advice...`` (msgspec structs,
also the OpenAPI schemas) and the ``/citizen`` events' payloads."""

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from rtc_gateway.domain.advice import ADVICE_ID, Advice, Theme
from rtc_gateway.domain.timestamps import format_utc

ThemeId = Annotated[str, Meta(max_length=80, pattern=ADVICE_ID.pattern)]


class ThemeView(msgspec.Struct):
    id: str
    label: str


class ThemesAnswer(msgspec.Struct):
    themes: list[ThemeView]


class AdviceSummary(msgspec.Struct, kw_only=True):
    id: str
    theme: str
    title: str
    summary: str
    published_at: str


class AdviceList(msgspec.Struct):
    advice: list[AdviceSummary]


class AdviceArticle(AdviceSummary, kw_only=True):
    theme_label: str
    blocks: list[dict[str, Any]]
    """``heading {level, text}``, ``paragraph {text}``, ``list {ordered, items}``,
    ``quote {text}``: plain text, for pages that write it with textContent."""
    html: str
    """The same as HTML with no raw HTML of the source (escaped) and only safe links."""


class Subscribe(msgspec.Struct, forbid_unknown_fields=True):
    """``advice:subscribe``: follow exactly these themes (``[]``: none)."""

    themes: Annotated[list[ThemeId], Meta(max_length=20)]


def theme_view(theme: Theme) -> ThemeView:
    return ThemeView(theme.id, theme.label)


def summary_of(advice: Advice) -> AdviceSummary:
    return AdviceSummary(id=advice.id, theme=advice.theme, title=advice.title,
                         summary=advice.summary, published_at=format_utc(advice.published_at))


def summary_wire(advice: Advice) -> dict[str, Any]:
    wire: dict[str, Any] = msgspec.to_builtins(summary_of(advice))
    return wire
