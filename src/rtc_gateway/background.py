"""Background tasks that run until the object owning them closes."""

import asyncio
import contextlib
from typing import Any


async def stop_task(task: "asyncio.Task[Any] | None") -> None:
    """Cancel ``task`` and wait until it has ended (nothing when it is ``None``)."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
