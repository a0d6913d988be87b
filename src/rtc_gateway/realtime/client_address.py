"""Who the client is, behind trusted reverse proxies: the address every per-address
limit keys on.

Only a peer listed as a trusted proxy may tell the client's address, in
``X-Forwarded-For``; the header of anyone else is ignored (a client can write any
address there). A trusted proxy appends the address it saw, so the list is read from
the right: the first address that is not itself a trusted proxy is the client. An
entry that is not an address ends the walk at the last one trusted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressSet:
    """Addresses and CIDR blocks (``10.0.0.0/8``, ``::1``); an invalid entry is a
    ``ValueError`` at start-up, not a silent hole."""

    __slots__ = ("_networks",)

    def __init__(self, entries: Iterable[str] = ()) -> None:
        networks: list[_Network] = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                raise ValueError(f"not an address or CIDR block: {entry!r}") from None
        self._networks = tuple(networks)

    def __bool__(self) -> bool:
        return bool(self._networks)

    def __contains__(self, address: object) -> bool:
        parsed = address if isinstance(address, (ipaddress.IPv4Address,
                                                 ipaddress.IPv6Address)) \
            else _parse(str(address))
        if parsed is None:
            return False
        return any(parsed in network for network in self._networks
                   if network.version == parsed.version)


def _parse(text: str) -> _Address | None:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def normalised(address: str) -> str:
    """``address`` as every limit keys on it (an IPv4-mapped IPv6 address as IPv4)."""
    parsed = _parse(address)
    return address if parsed is None else str(parsed)


def client_address(peer: str, forwarded_for: str | None, trusted: AddressSet) -> str:
    """The client's address for a connection from ``peer`` carrying ``forwarded_for``
    (the ``X-Forwarded-For`` header, repeated ones joined with commas)."""
    peer_address = _parse(peer)
    if peer_address is None:
        return peer
    if forwarded_for is None or not trusted or peer_address not in trusted:
        return str(peer_address)
    client = peer_address
    for entry in reversed(forwarded_for.split(",")):
        hop = _parse(entry)
        if hop is None:
            break
        client = hop
        if hop not in trusted:
            break
    return str(client)


def is_loopback(address: str) -> bool:
    parsed = _parse(address)
    return parsed is not None and parsed.is_loopback
