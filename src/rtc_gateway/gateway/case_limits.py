"""Case writes (new cases, messages, withdrawals, decisions) per identity and per
address, and the size of their bodies."""

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from rtc_gateway.domain.errors import DomainError, TooLarge
from rtc_gateway.domain.rate_limit import BucketTable
from rtc_gateway.gateway.request_limits import admit_identity_and_address
from rtc_gateway.services.limit_log import LimitLog


class UnsupportedType(DomainError):
    code = "unsupported_type"


@dataclass(frozen=True)
class CaseWriteLimits:
    per_identity: BucketTable
    per_address: BucketTable
    max_body_bytes: int
    trips: LimitLog
    monotonic: Callable[[], float]

    def admit(self, identity: str, remote: str | None) -> None:
        admit_identity_and_address("case_writes", "changes to cases", self.per_identity,
                                   self.per_address, self.trips, self.monotonic(), identity,
                                   remote)

    async def read_json(self, request: web.Request) -> bytes:
        """The request's JSON body, refused past ``max_body_bytes`` without reading it all."""
        if request.content_type != "application/json":
            raise UnsupportedType("the body must be application/json")
        if request.content_length is not None and request.content_length > self.max_body_bytes:
            raise TooLarge(f"the body is over {self.max_body_bytes} bytes")
        body = bytearray()
        async for chunk in request.content.iter_chunked(16 * 1024):
            body += chunk
            if len(body) > self.max_body_bytes:
                raise TooLarge(f"the body is over {self.max_body_bytes} bytes")
        return bytes(body)
