"""Notices to the citizen of a booking, a move, a cancellation and a reminder: an e-mail
with the join link and an ``.ics``, and an SMS when a phone number was given.

They leave in the background (the booking does not wait for the relay); each one sent
or failed is an evidence record of the appointment (the channel, never the address).
"""

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from rtc_gateway.domain.errors import Unavailable
from rtc_gateway.domain.video_appointments import Appointment
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.evidence_log import EvidenceEntry, EvidenceLog
from rtc_gateway.ports.mailer import MailAttachment, Mailer, OutgoingMail
from rtc_gateway.ports.sms import SmsSender
from rtc_gateway.services.appointments import wording
from rtc_gateway.services.appointments.calendar import ics
from rtc_gateway.services.appointments.links import JoinLinks

log = logging.getLogger(__name__)
NOTICE_RECORD = "appointment.notice"


class Notices:
    def __init__(self, mailer: Mailer, sms: SmsSender, links: JoinLinks, evidence: EvidenceLog,
                 clock: Clock, mail_from: str) -> None:
        self._mailer = mailer
        self._sms = sms
        self._links = links
        self._evidence = evidence
        self._clock = clock
        self._mail_from = mail_from
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, kind: str, appointment: Appointment) -> None:
        """Queue ``kind`` (booked, moved, cancelled, reminder) for ``appointment``."""
        if appointment.email:
            self._spawn(self._mail(kind, appointment, appointment.email))
        if appointment.phone:
            self._spawn(self._text(kind, appointment, appointment.phone))

    async def drain(self) -> None:
        """Wait for every notice under way (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def mail(self, kind: str, appointment: Appointment, to: str) -> OutgoingMail:
        url = self._links.url(appointment)
        unit = appointment.unit_id
        calendar = ics(appointment, url, self._mail_from, self._clock.now(), unit)
        method = "CANCEL" if not appointment.is_live else "REQUEST"
        return OutgoingMail(
            to=to, subject=wording.subject(kind, appointment),
            text=wording.mail_text(kind, appointment, url, unit),
            attachments=(MailAttachment("rendez-vous.ics",
                                        f"text/calendar; method={method}; charset=utf-8",
                                        calendar),))

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _mail(self, kind: str, appointment: Appointment, to: str) -> None:
        try:
            await self._mailer.send(self.mail(kind, appointment, to))
        except Unavailable:
            await self._record(appointment, kind, "email", sent=False)
            return
        await self._record(appointment, kind, "email", sent=True)

    async def _text(self, kind: str, appointment: Appointment, phone: str) -> None:
        try:
            await self._sms.send(phone, wording.sms_text(kind, appointment))
        except Unavailable:
            await self._record(appointment, kind, "sms", sent=False)
            return
        await self._record(appointment, kind, "sms", sent=True)

    async def _record(self, appointment: Appointment, kind: str, channel: str,
                      sent: bool) -> None:
        try:
            await self._evidence.append(EvidenceEntry(
                conversation_id=appointment.id, kind=NOTICE_RECORD, actor_role="system",
                actor_id="gateway", at=self._clock.now(),
                data={"notice": kind, "channel": channel, "sent": sent,
                      "sequence": appointment.sequence}))
        except (Unavailable, RuntimeError):
            # the log is unreachable or already closed (shutdown): the notice went anyway
            log.warning("notice not recorded", extra={"appointment_id": appointment.id})
