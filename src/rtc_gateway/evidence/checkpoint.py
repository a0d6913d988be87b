"""Log checkpoints in the C2SP tlog-checkpoint format, signed as C2SP signed notes.

The checkpoint body is three lines: the log's origin, its size in decimal, and the
base64 of its RFC 6962 root hash. The log signs it with its Ed25519 key under the
origin as key name.
"""

import base64
import binascii
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rtc_gateway.evidence.merkle import HASH_SIZE
from rtc_gateway.evidence.signed_note import (
    NoteError,
    SignedNote,
    VerifierKey,
    parse_note,
    sign_note,
)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    def sign(self, key: Ed25519PrivateKey) -> str:
        """The signed-note text of this checkpoint."""
        return sign_note(self.body(), self.origin, key).encode()


def parse_checkpoint_body(text: str) -> Checkpoint:
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint has origin, size and root lines")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not origin:
        raise NoteError("the checkpoint has no origin")
    if not size_text.isdigit() or (size_text.startswith("0") and size_text != "0"):
        raise NoteError(f"checkpoint size {size_text!r} is not a decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise NoteError("the checkpoint root is not base64") from error
    if len(root) != HASH_SIZE:
        raise NoteError("the checkpoint root is not a SHA-256 hash")
    return Checkpoint(origin, int(size_text), root)


def open_checkpoint(encoded: str, keys: list[VerifierKey]) -> Checkpoint:
    """Parse a signed checkpoint and check it is signed by one of ``keys``."""
    note: SignedNote = parse_note(encoded)
    checkpoint = parse_checkpoint_body(note.text)
    for key in keys:
        if key.name == checkpoint.origin and note.signed_by(key):
            return checkpoint
    raise NoteError("the checkpoint carries no valid signature by the log's key")
