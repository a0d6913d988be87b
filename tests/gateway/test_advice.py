"""Prevention advice on a real gateway: the REST reads (themes, list, French full-text
search, one article rendered safely) and the ``/citizen`` subscription with a real
Socket.IO client: a new article is pushed live, a later session gets what it missed."""

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.gateway.conftest import RunningGateway, StartGateway

NEW_ARTICLE = """---
title: "Le faux livreur"
summary: "Un SMS annonce un colis en attente et demande quelques euros : c'est une arnaque."
published: 2026-11-01
---
## Ce qu'il faut savoir

Ne payez <script>alert(1)</script> jamais par un lien reçu.
[Cliquez ici](javascript:alert(2)) <img src=x onerror=alert(3)>

- Vérifiez sur le site du transporteur.
- Signalez le message.
"""


async def get(gw: RunningGateway, path: str) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http, http.get(gw.url + path) as response:
        return response.status, await response.json(content_type=None)


@pytest.fixture
async def agw(start_gateway: StartGateway, tmp_path: Path) -> RunningGateway:
    return await start_gateway(data_dir=tmp_path / "data", advice_poll_interval_s=0.1)


def add_article(gw: RunningGateway, name: str = "faux-livreur",
                theme: str = "arnaques", text: str = NEW_ARTICLE) -> None:
    folder = gw.gateway.settings.data_dir / "advice" / theme
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.md").write_text(text, encoding="utf-8")


async def test_themes_and_lists(agw: RunningGateway) -> None:
    status, themes = await get(agw, "/api/v1/advice/themes")
    assert status == 200
    ids = [t["id"] for t in themes["themes"]]
    assert ids == ["arnaques", "vie-numerique", "harcelement", "domicile-vacances",
                   "violences-conjugales", "mineurs"]
    assert themes["themes"][0]["label"] == "Arnaques et escroqueries"
    status, listed = await get(agw, "/api/v1/advice?theme=mineurs")
    assert status == 200 and len(listed["advice"]) == 3
    assert {a["theme"] for a in listed["advice"]} == {"mineurs"}
    assert set(listed["advice"][0]) == {"id", "theme", "title", "summary", "published_at"}
    dates = [a["published_at"] for a in listed["advice"]]
    assert dates == sorted(dates, reverse=True)
    _, everything = await get(agw, "/api/v1/advice")
    assert len(everything["advice"]) == 18


@pytest.mark.parametrize(("query", "expected"), [
    ("arnaques bancaires", "faux-conseiller-bancaire"),  # plural, adjective: stems
    ("cambriolé", "cambriolage-prevention"),
    ("harcelée", "cyberharcelement"),
    ("tranquillite vacances", "operation-tranquillite-vacances"),  # no accents typed
    ("MOTS DE PASSE", "mots-de-passe"),
])
async def test_search_uses_french_stems(agw: RunningGateway, query: str,
                                        expected: str) -> None:
    status, found = await get(agw, f"/api/v1/advice?q={query}")
    assert status == 200 and expected in [a["id"] for a in found["advice"]], found


async def test_search_within_a_theme_and_without_match(agw: RunningGateway) -> None:
    _, found = await get(agw, "/api/v1/advice?theme=vie-numerique&q=mot+de+passe")
    assert found["advice"] and {a["theme"] for a in found["advice"]} == {"vie-numerique"}
    _, nothing = await get(agw, "/api/v1/advice?q=zeppelin")
    assert nothing == {"advice": []}
    _, quoted = await get(agw, '/api/v1/advice?q="NEAR(* OR)')
    assert quoted == {"advice": []}


@pytest.mark.parametrize("query", ["?theme=astrologie", "?q=" + "x" * 201,
                                   "?theme=../../etc"])
async def test_bad_advice_queries(agw: RunningGateway, query: str) -> None:
    status, answer = await get(agw, "/api/v1/advice" + query)
    assert status == 400 and answer["error"]["code"] == "bad_request"


async def test_an_article_is_rendered_without_raw_html(agw: RunningGateway) -> None:
    add_article(agw)
    await asyncio.sleep(0.4)
    status, article = await get(agw, "/api/v1/advice/faux-livreur")
    assert status == 200, article
    assert article["theme_label"] == "Arnaques et escroqueries"
    assert article["blocks"][0] == {"type": "heading", "level": 2,
                                    "text": "Ce qu'il faut savoir"}
    assert article["blocks"][-1] == {"type": "list", "ordered": False, "items": [
        "Vérifiez sur le site du transporteur.", "Signalez le message."]}
    html = article["html"]
    assert "<script" not in html and "<img" not in html and "href=\"javascript" not in html
    assert "&lt;script&gt;" in html
    assert (await get(agw, "/api/v1/advice/no-such-thing"))[0] == 404


async def test_a_follower_is_told_live_and_a_later_session_gets_what_it_missed(
        agw: RunningGateway) -> None:
    live = await agw.citizen()
    assert (await live.ok("advice:subscribe", {"themes": ["arnaques"]}))["themes"] == [
        "arnaques"]
    away = await agw.citizen()
    away_token = away.received("session")[0]["token"]
    await away.ok("advice:subscribe", {"themes": ["arnaques", "mineurs"]})
    assert (await away.ok("advice:missed", {}))["advice"] == []
    await away.disconnect()
    other_theme = await agw.citizen()
    await other_theme.ok("advice:subscribe", {"themes": ["mineurs"]})

    add_article(agw)
    pushed = await live.wait_for("advice:new")
    assert pushed["advice"]["id"] == "faux-livreur"
    assert pushed["advice"]["title"] == "Le faux livreur"
    await asyncio.sleep(0.3)
    assert other_theme.received("advice:new") == []
    assert (await live.ok("advice:missed", {}))["advice"] == []  # seen live

    back = await agw.citizen(away_token)
    missed = await back.ok("advice:missed", {})
    assert missed["themes"] == ["arnaques", "mineurs"]
    assert [a["id"] for a in missed["advice"]] == ["faux-livreur"]
    assert (await back.ok("advice:missed", {}))["advice"] == []


async def test_subscriptions_survive_a_restart(start_gateway: StartGateway,
                                               tmp_path: Path) -> None:
    data = tmp_path / "kept"
    first = await start_gateway(data_dir=data, advice_poll_interval_s=0)
    citizen = await first.citizen()
    token = citizen.received("session")[0]["token"]
    await citizen.ok("advice:subscribe", {"themes": ["harcelement"]})
    await citizen.disconnect()
    await first.runner.cleanup()
    first.clients.clear()
    second = await start_gateway(data_dir=data, advice_poll_interval_s=0)
    again = await second.citizen(token)
    assert (await again.ok("advice:missed", {}))["themes"] == ["harcelement"]


@pytest.mark.parametrize("payload", [
    {"themes": ["astrologie"]}, {"themes": "arnaques"}, {}, {"themes": ["Arnaques"]},
    {"themes": ["arnaques"], "extra": 1}, {"themes": ["arnaques"] * 21},
    {"themes": ["arnaques"] * 7},
])
async def test_bad_subscriptions_are_bad_requests(agw: RunningGateway,
                                                  payload: dict[str, Any]) -> None:
    citizen = await agw.citizen()
    answer = await citizen.call("advice:subscribe", payload)
    assert answer["ok"] is False and answer["error"]["code"] == "bad_request", answer
