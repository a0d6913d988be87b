"""Namespace sids that name their node, so a packet for one client can cross nodes.

On a node that shares a bus with others, every sid it mints begins with a short tag
derived from its node id and a dot (``_new_sid``'s alphabet has no dot), so a node
tells at once whether a sid is its own (then the socket is here, or gone) or another
node's (then the packet goes on the bus). Alone, a node mints sids without a tag.
"""

import base64
import hashlib
import secrets

SEPARATOR = "."


def node_tag(node_id: str) -> str:
    """Eight URL-safe characters (48 bits of a hash of ``node_id``): short in every sid,
    and two node ids of one service share a tag with negligible odds."""
    digest = hashlib.blake2b(node_id.encode(), digest_size=6).digest()
    return base64.urlsafe_b64encode(digest).decode()


def sid_prefix(node_id: str | None) -> str:
    """What every sid minted by ``node_id`` begins with; empty for a node alone."""
    return "" if node_id is None else node_tag(node_id) + SEPARATOR


def new_sid(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(15)


def is_tagged(sid: str) -> bool:
    return SEPARATOR in sid
