"""E-mail through an SMTP relay (``smtp://[user:password@]host:port``) with aiosmtplib.

STARTTLS is used when the relay offers it; ``smtps://`` connects with TLS at once.
"""

import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit

import aiosmtplib

from rtc_gateway.domain.errors import Unavailable
from rtc_gateway.ports.mailer import OutgoingMail

log = logging.getLogger(__name__)


def smtp_endpoint(url: str) -> tuple[str, int, bool, str | None, str | None]:
    """Host, port, implicit TLS, user and password of an ``smtp://`` or ``smtps://`` URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("smtp_url must look like smtp://host:port")
    tls = parts.scheme == "smtps"
    port = parts.port or (465 if tls else 25)
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    return parts.hostname, port, tls, user, password


def email_message(mail: OutgoingMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(mail.text)
    for attachment in mail.attachments:
        kind, _, rest = attachment.content_type.partition(";")
        maintype, _, subtype = kind.strip().partition("/")
        params = dict(p.strip().partition("=")[::2] for p in rest.split(";") if p.strip())
        message.add_attachment(attachment.data, maintype=maintype, subtype=subtype,
                               filename=attachment.filename, params=params)
    return message


class SmtpMailer:
    """Implements :class:`rtc_gateway.ports.mailer.Mailer`."""

    def __init__(self, url: str, sender: str, timeout_s: float = 20.0) -> None:
        self._host, self._port, self._tls, self._user, self._password = smtp_endpoint(url)
        self._sender = sender
        self._timeout_s = timeout_s

    async def send(self, mail: OutgoingMail) -> None:
        try:
            await aiosmtplib.send(
                email_message(mail, self._sender), hostname=self._host, port=self._port,
                use_tls=self._tls, username=self._user, password=self._password,
                timeout=self._timeout_s)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            log.warning("mail not sent", extra={"relay": f"{self._host}:{self._port}",
                                                "error": type(error).__name__})
            raise Unavailable("the mail relay did not take the message") from error
