"""A secret of the data directory for signing links (32 random bytes, 0600), created on
first use; nodes serving one service share it like the other keys."""

import os
import secrets
from pathlib import Path

from rtc_gateway.security.private_files import create_missing_dirs, open_private

SECRET_BYTES = 32


def load_or_create_secret(path: Path) -> bytes:
    try:
        secret = path.read_bytes()
    except FileNotFoundError:
        create_missing_dirs(path.parent)
        secret = secrets.token_bytes(SECRET_BYTES)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        with open_private(temporary) as out:
            out.write(secret)
        try:
            os.link(temporary, path)
        except FileExistsError:
            secret = path.read_bytes()
        finally:
            temporary.unlink()
    if len(secret) < SECRET_BYTES:
        raise ValueError(f"{path} holds fewer than {SECRET_BYTES} bytes")
    return secret
