"""ICE servers handed to clients and used by the gateway's own peers.

Nothing here falls back to a public STUN host: an empty configuration means host
candidates only, which is what a loopback or LAN deployment wants.
"""

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import aioice.ice
from aiortc import RTCConfiguration, RTCIceServer

TURN_CREDENTIAL_TTL_S = 3600


@dataclass(frozen=True, slots=True)
class IceServerConfig:
    """One STUN or TURN server as configured. ``username``/``credential`` are static
    TURN credentials; with a TURN secret they are minted per user instead."""

    urls: tuple[str, ...]
    username: str | None = None
    credential: str | None = None

    @property
    def is_turn(self) -> bool:
        return any(url.startswith(("turn:", "turns:")) for url in self.urls)

    def to_wire(self) -> dict[str, object]:
        """The ``RTCIceServer`` dictionary a browser expects."""
        wire: dict[str, object] = {"urls": list(self.urls)}
        if self.username is not None:
            wire["username"] = self.username
        if self.credential is not None:
            wire["credential"] = self.credential
        return wire


def turn_rest_credentials(
    secret: str, user_id: str, now: datetime, ttl_s: int = TURN_CREDENTIAL_TTL_S
) -> tuple[str, str]:
    """Time-limited TURN credentials as coturn's ``use-auth-secret`` mode checks them.

    The username is ``<expiry unix time>:<user>``; the password is
    ``base64(HMAC-SHA1(secret, username))``.
    """
    username = f"{int(now.timestamp()) + ttl_s}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def servers_for(
    configured: Sequence[IceServerConfig],
    user_id: str,
    now: datetime,
    turn_secret: str | None,
    ttl_s: int = TURN_CREDENTIAL_TTL_S,
) -> list[IceServerConfig]:
    """The configured servers, TURN entries carrying fresh credentials when a secret is set."""
    if turn_secret is None:
        return list(configured)
    username, credential = turn_rest_credentials(turn_secret, user_id, now, ttl_s)
    return [
        replace(server, username=username, credential=credential) if server.is_turn else server
        for server in configured
    ]


def rtc_configuration(servers: Sequence[IceServerConfig]) -> RTCConfiguration:
    """An explicit configuration: aiortc would otherwise add a public STUN host."""
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
            for s in servers
        ]
    )


def restrict_host_candidates(addresses: Sequence[str] | None) -> None:
    """Offer only these local addresses as ICE host candidates, process-wide.

    aioice gathers every interface address except 127.0.0.1; a gateway bound to
    loopback (tests, load tests) or to one public interface passes its addresses
    here. ``None`` restores aioice's own discovery.
    """
    if addresses is None:
        aioice.ice.get_host_addresses = _AIOICE_HOST_ADDRESSES
        return
    fixed = list(addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in fixed if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = host_addresses


_AIOICE_HOST_ADDRESSES = aioice.ice.get_host_addresses
