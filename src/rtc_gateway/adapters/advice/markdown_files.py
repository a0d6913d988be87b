"""Advice articles as Markdown files with a YAML front matter, one folder per theme:
``THEME/NAME.md`` under the shipped ``data/advice/`` and, for a deployment's own
articles, under ``DATA/advice/``. The themes and their labels are ``themes.yaml`` there.

Front matter: ``title``, ``summary``, ``published`` (a date, or a time with an offset;
the article is shown from then on), optionally ``id`` (default: the file's name). A file
that does not follow this is skipped with a warning in the log, never served half-read.
"""

import logging
from datetime import UTC, date, datetime, time
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from rtc_gateway.domain.advice import (
    ADVICE_ID,
    MAX_ADVICE_ID_CHARS,
    MAX_BODY_CHARS,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    Advice,
    Theme,
)
from rtc_gateway.domain.opening_hours import PARIS

log = logging.getLogger(__name__)
MAX_FILE_BYTES = 64 * 1024
FENCE = "---"


class BadArticle(ValueError):
    pass


def shipped_root() -> Path:
    return Path(str(resources.files("rtc_gateway").joinpath("data/advice")))


def _published(value: Any) -> datetime:
    """A date is midnight in Paris; a time must carry its offset."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise BadArticle("published needs an offset (or give a date)")
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), PARIS).astimezone(UTC)
    raise BadArticle("published must be a date (2026-11-30) or a time with an offset")


def _text(meta: dict[str, Any], name: str, limit: int) -> str:
    value = meta.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise BadArticle(f"{name} must be a text of 1 to {limit} characters")
    return " ".join(value.split())


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    lines = text.split("\n")
    if not lines or lines[0].strip() != FENCE:
        raise BadArticle("no front matter (the file must start with ---)")
    try:
        end = next(i for i, line in enumerate(lines[1:], start=1) if line.strip() == FENCE)
    except StopIteration:
        raise BadArticle("the front matter is not closed by ---") from None
    try:
        meta = yaml.safe_load("\n".join(lines[1:end]))
    except yaml.YAMLError as error:
        raise BadArticle(f"the front matter is not YAML: {str(error)[:120]}") from None
    if not isinstance(meta, dict):
        raise BadArticle("the front matter must be a mapping")
    return meta, "\n".join(lines[end + 1:]).strip()


def read_article(path: Path, theme: str) -> Advice:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise BadArticle(f"larger than {MAX_FILE_BYTES} bytes")
    meta, body = split_front_matter(path.read_text("utf-8"))
    advice_id = str(meta.get("id") or path.stem)
    if len(advice_id) > MAX_ADVICE_ID_CHARS or not ADVICE_ID.match(advice_id):
        raise BadArticle("id must be lower-case ASCII words joined by -")
    if not body or len(body) > MAX_BODY_CHARS:
        raise BadArticle(f"the body must be 1 to {MAX_BODY_CHARS} characters")
    return Advice(id=advice_id, theme=theme, title=_text(meta, "title", MAX_TITLE_CHARS),
                  summary=_text(meta, "summary", MAX_SUMMARY_CHARS), body=body,
                  published_at=_published(meta.get("published")))


def _themes(root: Path) -> list[Theme]:
    path = root / "themes.yaml"
    if not path.is_file():
        return []
    raw = yaml.safe_load(path.read_text("utf-8")) or []
    themes = [Theme(str(t["id"]), str(t["label"])) for t in raw
              if isinstance(t, dict) and ADVICE_ID.match(str(t.get("id", "")))
              and isinstance(t.get("label"), str)]
    if len(themes) != len(raw):
        log.warning("advice themes skipped", extra={"file": str(path)})
    return themes


class MarkdownAdviceSource:
    def __init__(self, roots: list[Path]) -> None:
        self._roots = roots

    def load(self) -> tuple[list[Theme], list[Advice]]:
        themes: dict[str, Theme] = {}
        for root in self._roots:
            themes.update({t.id: t for t in _themes(root)})
        found: dict[str, Advice] = {}
        for root in self._roots:
            for path in sorted(root.glob("*/*.md")):
                theme = path.parent.name
                try:
                    if theme not in themes:
                        raise BadArticle(f"unknown theme {theme!r} (not in themes.yaml)")
                    advice = read_article(path, theme)
                    if advice.id in found:
                        raise BadArticle(f"id {advice.id} is already used")
                except (BadArticle, OSError, UnicodeDecodeError) as error:
                    log.warning("advice file skipped",
                                extra={"file": str(path), "reason": str(error)})
                    continue
                found[advice.id] = advice
        return list(themes.values()), list(found.values())
