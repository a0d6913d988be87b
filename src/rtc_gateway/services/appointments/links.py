"""Join links: a key bound to one appointment and its citizen (HMAC-SHA256 under the
data directory's link secret), in the fragment of a page of the gateway so that it
never reaches a server log or a ``Referer``."""

import base64
import hashlib
import hmac

from rtc_gateway.domain.errors import Forbidden
from rtc_gateway.domain.video_appointments import Appointment

JOIN_PAGE = "/demo/rendez-vous.html"


class JoinLinks:
    def __init__(self, secret: bytes, public_url: str) -> None:
        self._secret = secret
        self._public_url = public_url.rstrip("/")

    def key(self, appointment: Appointment) -> str:
        message = f"appointment-join\0{appointment.id}\0{appointment.citizen_id}".encode()
        digest = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def url(self, appointment: Appointment) -> str:
        return (f"{self._public_url}{JOIN_PAGE}#appointment={appointment.id}"
                f"&key={self.key(appointment)}")

    def check(self, appointment: Appointment, key: str) -> None:
        if not hmac.compare_digest(self.key(appointment).encode(), key.encode()):
            raise Forbidden("this link is not valid for this appointment")
