"""The advice catalogue over real files: front matter rules, scheduled publication,
what becomes visible on a reload, French search, and safe rendering."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rtc_gateway.adapters.advice.fts_index import SqliteAdviceIndex
from rtc_gateway.adapters.advice.markdown_files import MarkdownAdviceSource, shipped_root
from rtc_gateway.adapters.memory.advice_subscriptions import MemorySubscriptionStore
from rtc_gateway.domain.errors import BadRequest, NotFound
from rtc_gateway.services.advice.catalogue import AdviceCatalogue
from rtc_gateway.services.advice.rendering import blocks_of, html_of
from rtc_gateway.services.advice.subscriptions import AdviceSubscriptions


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at

    def monotonic(self) -> float:
        return self.at.timestamp()


def article(title: str, published: str, body: str = "Un conseil utile.") -> str:
    return f'---\ntitle: "{title}"\nsummary: "Résumé"\npublished: {published}\n---\n{body}\n'


def write(root: Path, theme: str, name: str, text: str) -> None:
    (root / theme).mkdir(parents=True, exist_ok=True)
    (root / theme / f"{name}.md").write_text(text, encoding="utf-8")


@pytest.fixture
def own(tmp_path: Path) -> Path:
    return tmp_path / "advice"


def catalogue(own: Path, clock: Clock) -> AdviceCatalogue:
    return AdviceCatalogue(MarkdownAdviceSource([shipped_root(), own]), SqliteAdviceIndex(),
                           clock)


def test_bad_files_are_skipped_and_good_ones_kept(own: Path,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    write(own, "arnaques", "sans-entete", "Pas de front matter")
    write(own, "arnaques", "non-ferme", "---\ntitle: x\n")
    write(own, "arnaques", "sans-titre", "---\nsummary: s\npublished: 2026-01-01\n---\nx\n")
    write(own, "arnaques", "sans-fuseau", article("T", "2026-01-01T10:00:00"))
    write(own, "arnaques", "Majuscules", article("T", "2026-01-01"))
    write(own, "astrologie", "theme-inconnu", article("T", "2026-01-01"))
    write(own, "arnaques", "faux-conseiller-bancaire", article("Doublon", "2026-01-01"))
    write(own, "arnaques", "valide", article("Valide", "2026-01-01"))
    found = catalogue(own, Clock())
    ids = {a.id for a in found.find(None, None)} | {a.id for a in found.find("arnaques", None)}
    assert "valide" in ids
    assert not ids & {"sans-entete", "non-ferme", "sans-titre", "sans-fuseau", "Majuscules",
                      "theme-inconnu"}
    assert found.get("faux-conseiller-bancaire").title == "Le faux conseiller bancaire"
    skipped = [r for r in caplog.records if r.getMessage() == "advice file skipped"]
    assert len(skipped) == 7


def test_a_scheduled_article_appears_at_its_time_and_is_reported_new(own: Path) -> None:
    clock = Clock()
    write(own, "mineurs", "a-venir", article("À venir", "2026-12-03"))
    found = catalogue(own, clock)
    with pytest.raises(NotFound):
        found.get("a-venir")
    assert found.refresh() == []
    clock.at += timedelta(days=1)  # 3 December 09:00 Paris: published at midnight Paris
    assert [a.id for a in found.refresh()] == ["a-venir"]
    assert found.get("a-venir").theme == "mineurs"
    assert found.refresh() == []
    write(own, "mineurs", "ajoute", article("Ajouté", "2026-01-01"))
    assert [a.id for a in found.refresh()] == ["ajoute"]
    since = found.visible_since(frozenset({"mineurs"}), clock.at - timedelta(seconds=1))
    assert {a.id for a in since} == {"a-venir", "ajoute"}


def test_search_queries_cannot_inject_fts_syntax(own: Path) -> None:
    found = catalogue(own, Clock())
    for query in ['"', "NEAR(a b)", "title:arnaque", "* OR *", "arnaque -banque", "(((("]:
        assert isinstance(found.find(None, query), list)
    assert [a.id for a in found.find("arnaques", "coursier")] == ["faux-conseiller-bancaire"]
    with pytest.raises(BadRequest):
        found.find("astrologie", None)
    with pytest.raises(BadRequest):
        found.find(None, "x" * 201)


def test_rendering_keeps_text_and_drops_raw_html() -> None:
    body = ("# Titre\n\nTexte *important* <script>x()</script>\n\n1. un\n2. deux\n\n"
            "> cité\n\n[lien](javascript:alert(1)) [bon](https://exemple.fr)")
    assert blocks_of(body) == [
        {"type": "heading", "level": 1, "text": "Titre"},
        {"type": "paragraph", "text": "Texte important <script>x()</script>"},
        {"type": "list", "ordered": True, "items": ["un", "deux"]},
        {"type": "quote", "text": "cité"},
        {"type": "paragraph", "text": "[lien](javascript:alert(1)) bon"},
    ]
    html = html_of(body)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html and 'href="https://exemple.fr"' in html


class Notifier:
    def __init__(self, live: set[str]) -> None:
        self.live = live
        self.sent: list[tuple[str, str]] = []

    def connected_citizens(self) -> set[str]:
        return set(self.live)

    def advice_new(self, citizen_id: str, advice: dict[str, str]) -> None:
        self.sent.append((citizen_id, advice["id"]))


async def test_live_followers_are_told_and_the_others_keep_it_for_later(own: Path) -> None:
    clock = Clock()
    notifier = Notifier({"live"})
    subscriptions = AdviceSubscriptions(catalogue(own, clock), MemorySubscriptionStore(),
                                        notifier, clock, lambda a: {"id": a.id})
    for citizen in ("live", "away"):
        await subscriptions.subscribe(citizen, ["arnaques"])
    await subscriptions.subscribe("elsewhere", ["mineurs"])
    clock.at += timedelta(minutes=1)
    write(own, "arnaques", "nouveau", article("Nouveau", "2026-12-01"))
    assert await subscriptions.publish(subscriptions.catalogue.refresh()) == 1
    assert notifier.sent == [("live", "nouveau")]
    assert await subscriptions.missed("live") == []
    assert [a.id for a in await subscriptions.missed("away")] == ["nouveau"]
    assert await subscriptions.missed("away") == []
    assert await subscriptions.missed("elsewhere") == []
    assert await subscriptions.missed("never-subscribed") == []
    with pytest.raises(BadRequest):
        await subscriptions.subscribe("live", ["astrologie"])
