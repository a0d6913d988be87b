"""A short reference a person can read out on the phone, derived from a conversation id."""

import hashlib

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""32 symbols with no 0/O, 1/I to confuse when read aloud or copied by hand."""


def conversation_reference(conversation_id: str) -> str:
    """``"K7QD-9XMF"``: 40 bits of the id's SHA-256, in two groups of four.

    Stable (the same id always gives the same reference) and shown to both sides; the
    id stays the key, the reference is what a citizen quotes to an officer.
    """
    value = int.from_bytes(hashlib.sha256(conversation_id.encode()).digest()[:5], "big")
    symbols = []
    for _ in range(8):
        value, index = divmod(value, 32)
        symbols.append(ALPHABET[index])
    text = "".join(reversed(symbols))
    return f"{text[:4]}-{text[4:]}"


def as_reference(text: str) -> str | None:
    """``text`` as a reference (``k7qd9xmf`` and ``K7QD-9XMF`` alike), or ``None`` when it
    cannot be one."""
    compact = text.strip().upper().replace("-", "").replace(" ", "")
    if len(compact) != 8 or any(symbol not in ALPHABET for symbol in compact):
        return None
    return f"{compact[:4]}-{compact[4:]}"
