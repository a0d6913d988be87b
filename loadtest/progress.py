"""A progress bar on stderr for the scenarios that wait for many clients."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from tqdm import tqdm  # type: ignore[import-untyped]


@contextlib.contextmanager
def progress_bar(total: int, what: str) -> Iterator[Callable[[int, int], None]]:
    """Yields ``update(done, expected)``; the bar's total follows ``expected``."""
    bar = tqdm(total=total, desc=what, unit="", leave=True)

    def update(done: int, expected: int) -> None:
        if bar.total != expected:
            bar.total = expected
        bar.n = min(done, expected)
        bar.refresh()

    try:
        yield update
    finally:
        bar.close()
