"""The SMTP and SMS adapters against real servers on loopback: what they send, and a
relay or provider that refuses or is absent is ``Unavailable``, never a crash."""

import asyncio
from email import message_from_bytes, policy

import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from rtc_gateway.adapters.mail.sms_http import HttpSmsSender
from rtc_gateway.adapters.mail.smtp import SmtpMailer, smtp_endpoint
from rtc_gateway.domain.errors import Unavailable
from rtc_gateway.ports.mailer import MailAttachment, OutgoingMail
from tests.support.oidc_provider import free_port

MAIL = OutgoingMail("camille@example.org", "Rendez-vous", "Bonjour,\nà demain.\n",
                    (MailAttachment("rendez-vous.ics", "text/calendar; method=REQUEST",
                                    b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"),))


class Refusing:
    def __init__(self, answer: str) -> None:
        self.answer = answer
        self.seen: list[bytes] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.seen.append(envelope.original_content or b"")
        return self.answer


async def test_smtp_sends_the_text_and_the_calendar() -> None:
    handler = Refusing("250 OK")
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        await SmtpMailer(f"smtp://127.0.0.1:{port}", "rdv@police.example").send(MAIL)
    finally:
        controller.stop()
    message = message_from_bytes(handler.seen[0], policy=policy.default)
    assert message["From"] == "rdv@police.example" and message["To"] == MAIL.to
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == MAIL.text
    (calendar,) = message.iter_attachments()  # type: ignore[attr-defined]
    assert calendar.get_content_type() == "text/calendar"
    assert calendar.get_param("method") == "REQUEST"
    assert calendar.get_content().startswith("BEGIN:VCALENDAR")


async def test_a_refusing_or_absent_relay_is_unavailable() -> None:
    port = free_port()
    controller = Controller(Refusing("554 no"), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with pytest.raises(Unavailable):
            await SmtpMailer(f"smtp://127.0.0.1:{port}", "a@b.example").send(MAIL)
    finally:
        controller.stop()
    with pytest.raises(Unavailable):
        await SmtpMailer(f"smtp://127.0.0.1:{free_port()}", "a@b.example",
                         timeout_s=2).send(MAIL)


def test_smtp_urls() -> None:
    assert smtp_endpoint("smtp://relay:2525") == ("relay", 2525, False, None, None)
    assert smtp_endpoint("smtps://u%40x:p@relay") == ("relay", 465, True, "u@x", "p")
    for bad in ("http://relay", "smtp://", "relay:25"):
        with pytest.raises(ValueError):
            smtp_endpoint(bad)


async def test_sms_provider_answers() -> None:
    answers = iter([202, 500])
    seen: list[dict[str, str]] = []

    async def provider(request: web.Request) -> web.Response:
        seen.append(await request.json())
        return web.json_response({}, status=next(answers))

    app = web.Application()
    app.router.add_post("/sms", provider)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    sender = HttpSmsSender(f"http://127.0.0.1:{port}/sms")
    try:
        await sender.send("+33600000001", "Rappel")
        with pytest.raises(Unavailable):
            await sender.send("+33600000001", "Rappel")
    finally:
        await sender.close()
        await runner.cleanup()
    assert seen == [{"to": "+33600000001", "text": "Rappel"}] * 2
    absent = HttpSmsSender(f"http://127.0.0.1:{free_port()}/sms", timeout_s=2)
    with pytest.raises(Unavailable):
        await absent.send("+33600000001", "Rappel")
    await absent.close()
    await asyncio.sleep(0)
