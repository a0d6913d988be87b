"""What ``rtc-gateway token revoke`` stores: a staff member's tokens, or one token."""

from datetime import datetime

from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.ports.revocations import EntryKind, RevocationEntry, RevocationStore
from rtc_gateway.security.tokens import TokenAuthority

KEPT_FOREVER_US = 2**62
"""Expiry of a staff revocation: staff tokens may be minted with any lifetime."""


async def revoke_staff(store: RevocationStore, staff_id: str, now: datetime) -> str:
    """Revoke every token of ``staff_id`` issued before ``now``; what was done, in words."""
    not_before = int(now.timestamp() * 1_000_000)
    await _store(store, RevocationEntry(EntryKind.STAFF, staff_id, not_before, KEPT_FOREVER_US))
    return f"revoked every token of staff {staff_id} issued before {format_utc(now)}"


async def revoke_token(store: RevocationStore, authority: TokenAuthority, token: str) -> str:
    """Revoke one staff token by its id (raises ``Unauthorized`` if it is not one of ours)."""
    stamp = authority.staff_stamp(token)
    await _store(store, RevocationEntry(EntryKind.TOKEN, stamp.token_id, 0, stamp.expires_us))
    return f"revoked token {stamp.token_id} of staff {stamp.subject}"


async def _store(store: RevocationStore, entry: RevocationEntry) -> None:
    await store.open()
    try:
        await store.put([entry])
    finally:
        await store.close()
