"""Rotation of the log's signing key: the old key vouches for the new one.

A rotation statement is a signed note, signed by both the old key (authority) and the
new key (proof of possession)::

    rtc-gateway evidence key rotation v1
    origin <origin>
    old <verifier key>
    new <verifier key>
    time <RFC 3339 UTC>

A verifier that trusts the first key follows the statements in order to the key in
use today. Where the server keeps them: ``key_store``.
"""

from dataclasses import dataclass

from rtc_gateway.evidence.signed_note import NoteError, VerifierKey, parse_note

HEADER = "rtc-gateway evidence key rotation v1"


@dataclass(frozen=True, slots=True)
class Rotation:
    origin: str
    old: VerifierKey
    new: VerifierKey
    time: str


def statement_text(origin: str, old: VerifierKey, new: VerifierKey, time: str) -> str:
    return f"{HEADER}\norigin {origin}\nold {old.encode()}\nnew {new.encode()}\ntime {time}\n"


def parse_rotation(encoded: str) -> Rotation:
    """Parse a statement and check both its signatures."""
    note = parse_note(encoded)
    lines = note.text.split("\n")
    if len(lines) != 6 or lines[0] != HEADER:
        raise NoteError("not a key rotation statement")
    fields = dict(line.split(" ", 1) for line in lines[1:5] if " " in line)
    if set(fields) != {"origin", "old", "new", "time"}:
        raise NoteError("a rotation statement names origin, old, new and time")
    rotation = Rotation(
        fields["origin"],
        VerifierKey.decode(fields["old"]),
        VerifierKey.decode(fields["new"]),
        fields["time"],
    )
    if not note.signed_by(rotation.old):
        raise NoteError(f"rotation of {rotation.time} is not signed by the old key")
    if not note.signed_by(rotation.new):
        raise NoteError(f"rotation of {rotation.time} is not signed by the new key")
    return rotation


def follow_chain(current: VerifierKey, statements: list[str]) -> list[VerifierKey]:
    """Keys from the first (trust anchor) to ``current``, checking every link."""
    if not statements:
        return [current]
    rotations = [parse_rotation(text) for text in statements]
    chain = [rotations[0].old]
    for rotation in rotations:
        if rotation.old != chain[-1]:
            raise NoteError(f"rotation of {rotation.time} does not start from the previous key")
        chain.append(rotation.new)
    if chain[-1] != current:
        raise NoteError("the key in use is not the last key of the rotation chain")
    return chain
