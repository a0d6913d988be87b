"""A gateway with the loopback OpenID provider and a real SMTP server (aiosmtpd) on
loopback, and helpers for the appointments API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import Role
from rtc_gateway.security.cookies import SESSION_COOKIE
from tests.gateway.cases.conftest import Api
from tests.gateway.identity.conftest import IdentityWorld, StartWorld, start_world
from tests.support.oidc_provider import free_port

__all__ = ["ALL_WEEK", "Inbox", "start_world"]

MAIL_FROM = "visioplainte@police.example"
ALL_WEEK = {"weekly": [{"weekday": d, "start": "00:00", "end": "23:30"} for d in range(7)],
            "slot_minutes": 30}
LYON_UNIT = "police-lyon"


@dataclass
class Inbox:
    """What the SMTP server received: (envelope sender, recipients, parsed message)."""

    received: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((envelope.mail_from or "", list(envelope.rcpt_tos), message))
        return "250 OK"

    async def wait(self, count: int, timeout_s: float = 10.0) -> list[EmailMessage]:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(self.received) < count:
            assert asyncio.get_running_loop().time() < deadline, self.received
            await asyncio.sleep(0.05)
        return [message for _, _, message in self.received]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
async def mail_world(start_world: StartWorld,
                     smtp: tuple[Inbox, int]) -> AsyncIterator[IdentityWorld]:
    _, port = smtp
    yield await start_world(smtp_url=f"smtp://127.0.0.1:{port}", mail_from=MAIL_FROM,
                            appointment_reminder_interval_s=0,
                            rtc_host_addresses=("127.0.0.1",))


def staff(world: IdentityWorld, agent_id: str, force: str = "police",
          unit: str | None = LYON_UNIT, role: str = "agent") -> Api:
    profile = AgentProfile(agent_id, f"Officier {agent_id}", Force(force), Role(role),
                           unit=unit)
    return Api(world.gw.url, world.gw.gateway.tokens.mint_agent(profile, 3600).token)


def anonymous_citizen(world: IdentityWorld) -> Api:
    return Api(world.gw.url, world.gw.gateway.tokens.new_citizen().token)


async def verified_citizen(world: IdentityWorld) -> tuple[Api, str, str]:
    """A bearer token of a citizen whose browser logged in, that browser's cookie and
    the citizen's id."""
    browser = world.browser()
    assert (await browser.login()).status == 302
    status, me = await browser.me()
    assert status == 200 and me["verified"] is True
    token = world.gw.gateway.tokens.mint_citizen(me["citizen_id"]).token
    cookie = browser.cookie(SESSION_COOKIE)
    assert cookie
    return Api(world.gw.url, token), cookie, me["citizen_id"]


async def publish(world: IdentityWorld, unit: str = LYON_UNIT,
                  schedule: dict[str, Any] | None = None) -> None:
    force = unit.split("-", 1)[0]
    supervisor = staff(world, f"sup-{unit}", force, unit, "supervisor")
    status, body = await supervisor.call("PUT", f"/api/v1/staff/units/{unit}/appointment-schedule",
                                         schedule or ALL_WEEK)
    assert status == 200, body


def shift_wall_clock(world: IdentityWorld, to: datetime) -> None:
    """Make the gateway's wall clock read ``to`` from now on (monotonic time unchanged)."""
    offset = to - datetime.now(UTC)
    world.clock.now = lambda: datetime.now(UTC) + offset  # type: ignore[method-assign]


def soon(hours: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


class CookieApi(Api):
    """The browser holding an ``rtc_session`` cookie, calling from the gateway's origin."""

    def __init__(self, url: str, cookie: str) -> None:
        super().__init__(url, origin=url)
        self.cookie = cookie

    def _headers(self) -> dict[str, str]:
        return {**super()._headers(), "Cookie": f"{SESSION_COOKIE}={self.cookie}"}


def cookie_api(world: IdentityWorld, cookie: str) -> Api:
    return CookieApi(world.gw.url, cookie)
