"""A per-address budget for the public, unauthenticated reads of the citizen services
(units' directory, prevention advice): 429 ``rate_limited`` past it."""

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from rtc_gateway.domain.addresses import address_key
from rtc_gateway.domain.errors import RateLimited
from rtc_gateway.domain.rate_limit import BucketTable
from rtc_gateway.services.limit_log import LimitLog


@dataclass(frozen=True)
class PublicReadLimit:
    table: BucketTable
    trips: LimitLog
    monotonic: Callable[[], float]

    def admit(self, request: web.Request) -> None:
        address = address_key(request.remote or "unknown")
        if not self.table.try_take(address, self.monotonic()):
            self.trips.tripped("public_reads_per_address", address=address)
            raise RateLimited("too many requests from this address: try again shortly")
