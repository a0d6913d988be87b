"""Keep a loopback deployment on loopback: drop remote ICE candidates outside it.

When the gateway's own peers announce loopback addresses only, a browser's other
candidates (its LAN or public addresses) can never pair with them, and connectivity
checks towards them would only send packets off the machine for nothing.
"""

import ipaddress


def is_loopback_only(addresses: tuple[str, ...]) -> bool:
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def candidate_address(candidate_line: str) -> str | None:
    """The connection address of an ``a=candidate:`` / ``candidate:`` attribute."""
    fields = candidate_line.split()
    return fields[4] if len(fields) > 7 else None


def allowed(candidate_line: str) -> bool:
    address = candidate_address(candidate_line)
    if address is None:
        return False
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def loopback_candidates_only(sdp: str) -> str:
    lines = sdp.split("\r\n") if "\r\n" in sdp else sdp.split("\n")
    kept = [line for line in lines if not line.startswith("a=candidate:") or allowed(line)]
    return ("\r\n" if "\r\n" in sdp else "\n").join(kept)
