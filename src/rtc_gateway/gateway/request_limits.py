"""A request admitted against two token buckets: its caller's identity and its address
(IPv6: per /64), so that neither many addresses nor many identities get past a limit."""

from rtc_gateway.domain.addresses import address_key
from rtc_gateway.domain.errors import RateLimited
from rtc_gateway.domain.rate_limit import BucketTable
from rtc_gateway.services.limit_log import LimitLog


def admit_identity_and_address(limit: str, what: str, per_identity: BucketTable,
                               per_address: BucketTable, trips: LimitLog, now: float,
                               identity: str, remote: str | None) -> None:
    """Take one token of ``identity``'s and of the address's bucket, or raise
    :class:`RateLimited` ("too many WHAT") and log ``LIMIT_per_identity`` or
    ``LIMIT_per_address``."""
    address = address_key(remote or "unknown")
    if not per_identity.try_take(identity, now):
        trips.tripped(f"{limit}_per_identity", identity=identity)
        raise RateLimited(f"too many {what}; retry in a moment")
    if not per_address.try_take(address, now):
        trips.tripped(f"{limit}_per_address", address=address)
        raise RateLimited(f"too many {what} from this address; retry in a moment")
