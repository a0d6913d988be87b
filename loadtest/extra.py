"""The load tools' own dependencies (the ``load`` extra), checked before anything imports
them, so that a missing one is a sentence naming the install command, not a traceback."""

import importlib.util
import sys

INSTALL = "pip install -e '.[load]'"
MODULES = ("msgpack", "matplotlib", "tqdm")
"""Modules of the ``load`` extra that the scenarios import (py-spy, for ``profile``, is a
program, found on the PATH)."""


def missing_modules() -> list[str]:
    return [name for name in MODULES if not _importable(name)]


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def require_load_extra() -> None:
    missing = missing_modules()
    if missing:
        sys.exit(
            f"python -m loadtest: missing {', '.join(missing)}, from the 'load' extra."
            f" Install it in this environment, from the repository root: {INSTALL}"
            " (for example .venv/bin/pip install -e '.[load]'). See loadtest/README.md."
        )
