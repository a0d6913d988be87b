"""The key under which per-address limits count a client."""

import ipaddress

IPV6_PREFIX = 64
"""One IPv6 subscriber usually holds a whole /64: counting single addresses of it would
give one client 2**64 budgets."""


def address_key(remote: str) -> str:
    """IPv4 as is (also when IPv4-mapped), IPv6 as its /64; anything else unchanged."""
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return remote
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)
