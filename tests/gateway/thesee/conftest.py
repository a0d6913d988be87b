"""THESEE filings for each scam type, and callers of the API (citizens, staff)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import Role
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.security.cookies import SESSION_COOKIE
from tests.gateway.cases.conftest import Api, start_world, world
from tests.gateway.identity.conftest import IdentityWorld

__all__ = ["DETAILS", "Api", "filing", "start_world", "world"]

IBAN = "FR76 3000 6000 0112 3456 7890 189"
DETAILS: dict[str, dict[str, Any]] = {
    "account_hacking": {"account": "camille.martin@example.org", "service": "Messagerie X",
                        "hacked_on": "2026-11-20",
                        "what_was_done": "Messages envoyés à mes contacts"},
    "blackmail": {"channel": "email", "pseudonyms": ["DarkHacker"],
                  "demanded_amount_eur": 800, "payment_details": "bitcoin"},
    "ransomware": {"ransom_note": "Vos fichiers sont chiffrés. Payez 0,5 BTC.",
                   "wallets": ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"],
                   "affected_systems": ["poste comptable", "serveur de fichiers"]},
    "romance_scam": {"profiles": ["Jean-Marc Officier"], "platforms": ["site de rencontre"],
                     "amounts_over_time": [{"amount_eur": 1500, "date": "2026-09-01"},
                                           {"amount_eur": 2500, "date": "2026-10-01"}]},
    "classified_ad_scam": {"ad_url": "https://www.leboncoin.fr/annonce/123",
                           "platform": "leboncoin", "seller_ids": ["vendeur_75"]},
    "fraudulent_shop": {"shop_url": "https://www.super-promo-shop.com/produit/1",
                        "order_reference": "CMD-42", "amount_eur": 129.9,
                        "payment": "card", "ordered_on": "2026-11-02"},
}


def filing(scam_type: str = "fraudulent_shop", mode: str = "report",
           identifiers: dict[str, list[str]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"scam_type": scam_type, "mode": mode,
            "description": "Je me suis fait escroquer en ligne.",
            "identifiers": identifiers if identifiers is not None else {"ibans": [IBAN]},
            "payments": [{"amount_eur": 50, "date": "2026-11-03", "method": "transfer"}],
            "details": DETAILS[scam_type], **extra}


def staff(world: IdentityWorld, agent_id: str, role: str = "reviewer",
          force: str = "police") -> Api:
    profile = AgentProfile(agent_id, f"Agent {agent_id}", Force(force), Role(role))
    return Api(world.gw.url, world.gw.gateway.tokens.mint_agent(profile, 3600).token)


def anonymous(world: IdentityWorld) -> Api:
    return Api(world.gw.url, world.gw.gateway.tokens.new_citizen().token)


async def verified(world: IdentityWorld) -> Api:
    browser = world.browser()
    assert (await browser.login()).status == 302
    status, me = await browser.me()
    assert status == 200 and me["verified"] is True
    assert browser.cookie(SESSION_COOKIE)
    return Api(world.gw.url, world.gw.gateway.tokens.mint_citizen(me["citizen_id"]).token)


def shift_now(world: IdentityWorld, by: timedelta) -> None:
    """Move the gateway's wall clock forward (claims expire, retention ends)."""
    clock = world.clock
    base = SystemClock.now
    offset = getattr(clock, "now_offset", timedelta()) + by
    clock.now_offset = offset  # type: ignore[attr-defined]
    clock.now = lambda: base(clock) + offset  # type: ignore[method-assign]
