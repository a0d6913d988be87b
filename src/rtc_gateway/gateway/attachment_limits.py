"""Attachment uploads per identity and per address (IPv6: per /64), apart from the
other case writes: an upload costs far more than a message."""

from collections.abc import Callable
from dataclasses import dataclass

from rtc_gateway.domain.rate_limit import BucketTable
from rtc_gateway.gateway.request_limits import admit_identity_and_address
from rtc_gateway.services.limit_log import LimitLog


@dataclass(frozen=True)
class UploadLimits:
    per_identity: BucketTable
    per_address: BucketTable
    trips: LimitLog
    monotonic: Callable[[], float]

    def admit(self, identity: str, remote: str | None) -> None:
        admit_identity_and_address("attachment_uploads", "attachments uploaded",
                                   self.per_identity, self.per_address, self.trips,
                                   self.monotonic(), identity, remote)
