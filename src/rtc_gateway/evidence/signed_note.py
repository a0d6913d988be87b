"""Signed notes with Ed25519 keys, in the C2SP signed-note format.

A note is UTF-8 text ending in a newline, then a blank line, then one line per
signature: ``— <key name> <base64(key id || signature)>``. The key id is the first
four bytes of SHA-256(key name || 0x0A || 0x01 || public key); 0x01 marks Ed25519.
A verifier key is written ``<name>+<hex key id>+<base64(0x01 || public key)>``.

Only the standard library and ``cryptography``.
"""

import base64
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

ED25519_TYPE = 0x01
SIGNATURE_PREFIX = "\u2014 "


class NoteError(ValueError):
    """A note or key is malformed, or a signature does not verify."""


@dataclass(frozen=True, slots=True)
class VerifierKey:
    name: str
    public_key: bytes
    """The raw 32-byte Ed25519 public key."""

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, self.public_key)

    def encode(self) -> str:
        blob = base64.b64encode(bytes([ED25519_TYPE]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except InvalidSignature:
            return False
        return True

    @classmethod
    def decode(cls, text: str) -> "VerifierKey":
        parts = text.strip().split("+", 2)
        if len(parts) != 3:
            raise NoteError("a verifier key is name+keyid+key")
        name, id_hex, blob_text = parts
        blob = _b64(blob_text, "verifier key")
        if len(blob) != 33 or blob[0] != ED25519_TYPE:
            raise NoteError("the verifier key is not an Ed25519 key")
        key = cls(name, blob[1:])
        if key.key_id.hex() != id_hex.lower():
            raise NoteError("the verifier key's id does not match its name and key")
        return key

    @classmethod
    def of(cls, name: str, private_key: Ed25519PrivateKey) -> "VerifierKey":
        raw = private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return cls(name, raw)


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class SignedNote:
    text: str
    """The signed body, ending in a newline."""
    signatures: tuple[Signature, ...]

    def encode(self) -> str:
        lines = "".join(
            f"{SIGNATURE_PREFIX}{s.name} {base64.b64encode(s.key_id + s.signature).decode()}\n"
            for s in self.signatures
        )
        return f"{self.text}\n{lines}"

    def signed_by(self, key: VerifierKey) -> bool:
        """True when one of the signatures is a valid one by ``key``."""
        message = self.text.encode("utf-8")
        return any(
            s.name == key.name and s.key_id == key.key_id and key.verify(message, s.signature)
            for s in self.signatures
        )


def key_id(name: str, public_key: bytes) -> bytes:
    material = name.encode("utf-8") + b"\n" + bytes([ED25519_TYPE]) + public_key
    return hashlib.sha256(material).digest()[:4]


def _check_name(name: str) -> None:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")


def sign_note(text: str, name: str, *keys: Ed25519PrivateKey) -> SignedNote:
    """Sign ``text`` (which must end in a newline) with each key under ``name``."""
    _check_name(name)
    if not text.endswith("\n"):
        raise NoteError("a note's text must end in a newline")
    message = text.encode("utf-8")
    signatures = tuple(
        Signature(name, VerifierKey.of(name, key).key_id, key.sign(message)) for key in keys
    )
    return SignedNote(text, signatures)


def parse_note(encoded: str) -> SignedNote:
    """Split a signed note into its text and signatures (none are verified here)."""
    text, sep, block = encoded.rpartition("\n\n")
    if not sep or not block.endswith("\n"):
        raise NoteError("the note has no signature block")
    signatures = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"malformed signature line {line!r}")
        name, _, blob_text = line[len(SIGNATURE_PREFIX) :].partition(" ")
        blob = _b64(blob_text, "signature")
        if len(blob) != 4 + 64:
            raise NoteError("an Ed25519 signature line holds a 4-byte id and 64 bytes")
        signatures.append(Signature(name, blob[:4], blob[4:]))
    if not signatures:
        raise NoteError("the note has no signature")
    return SignedNote(text + "\n", tuple(signatures))


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as error:
        raise NoteError(f"the {what} is not valid base64") from error
