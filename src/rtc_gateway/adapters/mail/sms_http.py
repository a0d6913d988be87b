"""SMS through an HTTP provider: ``POST {url}`` with ``{"to", "text"}`` as JSON and, when
configured, ``Authorization: Bearer TOKEN``; any 2xx answer means accepted."""

import logging

import aiohttp

from rtc_gateway.domain.errors import Unavailable

log = logging.getLogger(__name__)


class HttpSmsSender:
    """Implements :class:`rtc_gateway.ports.sms.SmsSender`."""

    def __init__(self, url: str, token: str | None = None, timeout_s: float = 10.0) -> None:
        if not url.startswith(("https://", "http://")):
            raise ValueError("sms_url must be an http(s) address")
        self._url = url
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._http: aiohttp.ClientSession | None = None

    async def send(self, phone: str, text: str) -> None:
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=self._timeout)
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            async with self._http.post(self._url, json={"to": phone, "text": text},
                                       headers=headers) as response:
                if not 200 <= response.status < 300:
                    raise Unavailable(f"the SMS provider answered {response.status}")
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("sms not sent", extra={"error": type(error).__name__})
            raise Unavailable("the SMS provider could not be reached") from error

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
