"""Assertions on file modes: folders 0700 and files 0600, nothing for group or others."""

import stat
from collections.abc import Iterable
from pathlib import Path


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes_under(root: Path, ignore: Iterable[str] = ()) -> dict[str, int]:
    """Every folder and file under ``root`` (itself included) with its mode."""
    skipped = set(ignore)
    found = {".": mode(root)}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if name not in skipped:
            found[name] = mode(path)
    return found


def not_private(root: Path, ignore: Iterable[str] = ()) -> dict[str, str]:
    """What under ``root`` is not 0700 (folders) or 0600 (files), as octal strings."""
    wrong = {}
    for name, found in modes_under(root, ignore).items():
        expected = 0o700 if (root / name).is_dir() else 0o600
        if found != expected:
            wrong[name] = oct(found)
    return wrong
