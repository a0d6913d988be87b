"""Run an event's coroutine at once, without a task per event.

Most events finish without waiting (a refusal, a typing notice) or wait once (a message
waits for its evidence record to be durable). An ``asyncio.Task`` per event costs its
creation, its registration in asyncio's set of all tasks and a scheduling round trip:
about a tenth of the gateway's CPU per chat message on Python 3.11, which has no
``eager_start``. Here the coroutine is stepped by hand: now, in the caller's turn, then
from the done-callback of each future it waits on, exactly as a task would step it
(a future's ``__await__`` only checks that it is done when resumed).

The price: code running this way has no current task, so it must not use
``asyncio.timeout()`` or ``asyncio.current_task()``; and nothing can cancel it. Handlers
that need either run in a task of their own (``Route.own_task``).
"""

import asyncio
import logging
from collections.abc import Coroutine
from functools import partial
from typing import Any

log = logging.getLogger(__name__)


def start_eagerly(coroutine: Coroutine[Any, Any, None]) -> None:
    _step(coroutine)


def _step(coroutine: Coroutine[Any, Any, None], _: object = None) -> None:
    try:
        awaited = coroutine.send(None)
    except StopIteration:
        return
    except Exception:
        log.exception("event coroutine failed")
        return
    if getattr(awaited, "_asyncio_future_blocking", False):
        awaited._asyncio_future_blocking = False
        awaited.add_done_callback(partial(_step, coroutine))
    elif awaited is None:
        asyncio.get_running_loop().call_soon(_step, coroutine)
    else:
        coroutine.close()
        log.error("event coroutine yielded %r, which is not a future", awaited)
