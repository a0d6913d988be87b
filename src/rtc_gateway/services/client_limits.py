"""Who may connect, how often and with how many sockets; one event budget per identity.

A connect is checked against its address's budget before any token is read, so a flood
of forged tokens costs one dictionary look-up each, not an Ed25519 verification. The
identity's connect budget is charged once its token verified (a forged token must not
spend someone else's budget) and before a renewed token is signed.

Every socket of an identity shares one event bucket, kept while any socket holds it
and until it has refilled, so opening more sockets or reconnecting buys nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass

from rtc_gateway.domain.addresses import address_key
from rtc_gateway.domain.errors import RateLimited
from rtc_gateway.domain.rate_limit import BucketTable, TokenBucket
from rtc_gateway.services.limit_log import LimitLog


@dataclass(frozen=True, slots=True)
class ClientLimitSettings:
    connects_per_address_per_s: float
    connects_per_address_burst: float
    connects_per_identity_per_s: float
    connects_per_identity_burst: float
    max_sockets_per_identity: int
    events_per_s: float
    events_burst: float


class ClientLimits:
    def __init__(self, settings: ClientLimitSettings, monotonic: Callable[[], float],
                 trips: LimitLog) -> None:
        self._settings = settings
        self._monotonic = monotonic
        self._trips = trips
        self._sockets: dict[str, int] = {}
        self._address_connects = BucketTable(settings.connects_per_address_per_s,
                                             settings.connects_per_address_burst)
        self._identity_connects = BucketTable(settings.connects_per_identity_per_s,
                                              settings.connects_per_identity_burst)
        self._events = BucketTable(settings.events_per_s, settings.events_burst,
                                   held=self._sockets.__contains__)

    def admit_address(self, remote: str) -> None:
        """Before any work on a connect: the address's connect budget."""
        address = address_key(remote)
        if not self._address_connects.try_take(address, self._monotonic()):
            self._trips.tripped("connects_per_address", address=address)
            raise RateLimited("too many connections from this address; retry in a moment")

    def admit_identity(self, namespace: str, identity: str) -> None:
        """After the token verified, before anything is signed or registered."""
        key = _key(namespace, identity)
        if self._sockets.get(key, 0) >= self._settings.max_sockets_per_identity:
            self._trips.tripped("sockets_per_identity", identity=identity)
            raise RateLimited("too many simultaneous connections for this identity; "
                              "close one first")
        if not self._identity_connects.try_take(key, self._monotonic()):
            self._trips.tripped("connects_per_identity", identity=identity)
            raise RateLimited("too many connections for this identity; retry in a moment")

    def connected(self, namespace: str, identity: str) -> TokenBucket:
        """Count the new socket; the event bucket it shares with the identity's others."""
        key = _key(namespace, identity)
        self._sockets[key] = self._sockets.get(key, 0) + 1
        return self._events.bucket(key, self._monotonic())

    def disconnected(self, namespace: str, identity: str) -> None:
        key = _key(namespace, identity)
        remaining = self._sockets.get(key, 0) - 1
        if remaining > 0:
            self._sockets[key] = remaining
        else:
            self._sockets.pop(key, None)

    def event_budget_spent(self, identity: str) -> None:
        self._trips.tripped("events_per_identity", identity=identity)

    def anonymous_quota_spent(self, remote: str) -> None:
        self._trips.tripped("anonymous_per_address", address=address_key(remote))

    def sizes(self) -> dict[str, int]:
        """Entries per table, to show that memory stays bounded."""
        return {"address_connects": len(self._address_connects),
                "identity_connects": len(self._identity_connects),
                "identity_events": len(self._events), "identities_connected": len(self._sockets)}


def _key(namespace: str, identity: str) -> str:
    return f"{namespace} {identity}"
