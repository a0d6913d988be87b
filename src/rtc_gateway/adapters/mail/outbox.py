"""Messages kept in memory instead of sent: with no SMTP relay or SMS provider
configured, the last ones are kept (and logged without their content) for inspection."""

import logging
from collections import deque

from rtc_gateway.ports.mailer import OutgoingMail

log = logging.getLogger(__name__)
KEPT = 100


class MemoryMailer:
    """Implements :class:`rtc_gateway.ports.mailer.Mailer`; nothing leaves the process."""

    def __init__(self) -> None:
        self.sent: deque[OutgoingMail] = deque(maxlen=KEPT)

    async def send(self, mail: OutgoingMail) -> None:
        log.info("mail kept in memory (no SMTP relay configured)",
                 extra={"attachments": len(mail.attachments)})
        self.sent.append(mail)


class MemorySms:
    """Implements :class:`rtc_gateway.ports.sms.SmsSender`; nothing leaves the process."""

    def __init__(self) -> None:
        self.sent: deque[tuple[str, str]] = deque(maxlen=KEPT)

    async def send(self, phone: str, text: str) -> None:
        log.info("sms kept in memory (no SMS provider configured)")
        self.sent.append((phone, text))
