"""Attachment uploads per identity and per address (IPv6: per /64), apart from the
other case writes: an upload costs far more than a message."""

from collections.abc import Callable
from dataclasses import dataclass

from rtc_gateway.domain.addresses import address_key
from rtc_gateway.domain.errors import RateLimited
from rtc_gateway.domain.rate_limit import BucketTable
from rtc_gateway.services.limit_log import LimitLog


@dataclass(frozen=True)
class UploadLimits:
    per_identity: BucketTable
    per_address: BucketTable
    trips: LimitLog
    monotonic: Callable[[], float]

    def admit(self, identity: str, remote: str | None) -> None:
        now = self.monotonic()
        address = address_key(remote or "unknown")
        if not self.per_identity.try_take(identity, now):
            self.trips.tripped("attachment_uploads_per_identity", identity=identity)
            raise RateLimited("too many attachments uploaded; retry in a moment")
        if not self.per_address.try_take(address, now):
            self.trips.tripped("attachment_uploads_per_address", address=address)
            raise RateLimited("too many attachments uploaded from this address; "
                              "retry in a moment")
