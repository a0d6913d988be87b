"""Ed25519 keys kept as PEM files in the data directory, created on first use (mode 0600)."""

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from rtc_gateway.security.private_files import (
    create_private_file_once,
    private_dir,
    replace_private_file,
    restrict_if_present,
)


def load_or_create_private_key(path: Path) -> Ed25519PrivateKey:
    """The key at ``path``, created first if absent; when several processes create it
    at once (nodes starting on one shared keys folder), all of them use the one kept."""
    if path.exists():
        restrict_if_present(path)
        return load_private_key(path)
    key = Ed25519PrivateKey.generate()
    private_dir(path.parent)
    if create_private_file_once(path, _pem(key)):
        return key
    return load_private_key(path)


def load_private_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def write_private_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Write atomically with owner-only permissions, never world-readable even briefly."""
    private_dir(path.parent)
    replace_private_file(path, _pem(key))


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
