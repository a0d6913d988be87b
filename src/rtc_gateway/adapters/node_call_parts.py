"""What both node-call adapters share: payloads copied as msgpack, the calls a node waits
on, and serving a call to this node within its bounds (how many at once, how long)."""

import asyncio
import itertools
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import msgspec

from rtc_gateway.ports.node_calls import (
    CallHandler,
    NodeCallFailed,
    NodeCallTimeout,
    NodeUnreachable,
    TooManyCalls,
)

logger = logging.getLogger(__name__)
BUSY = "the node is serving as many calls as it allows"
COUNTERS = ("calls", "answered", "failed", "timeouts", "unreachable", "refused", "served",
            "busy", "late_replies")

_encoder = msgspec.msgpack.Encoder()
_decoder: msgspec.msgpack.Decoder[Any] = msgspec.msgpack.Decoder()


class Outcome(msgspec.Struct, array_like=True, frozen=True):
    ok: bool
    answer: Any = None
    error: str = ""


CLOSED = Outcome(False, error="this node is closing")
"""What the calls still waiting when their node closes get."""


def as_msgpack(value: Any) -> Any:
    """``value`` as the other node would read it (what cannot travel fails here too)."""
    return _decoder.decode(_encoder.encode(value))


def new_counts() -> dict[str, int]:
    return dict.fromkeys(COUNTERS, 0)


def result(counts: dict[str, int], outcome: Outcome | None, node: str, method: str,
           timeout_s: float) -> Any:
    """The answer of ``outcome``, or the error a caller gets (``None``: no answer)."""
    if outcome is CLOSED:
        counts["unreachable"] += 1
        raise NodeUnreachable(node, method, CLOSED.error)
    if outcome is None:
        counts["timeouts"] += 1
        raise NodeCallTimeout(node, method, f"no answer within {timeout_s:g} s")
    if not outcome.ok:
        counts["failed"] += 1
        raise NodeCallFailed(node, method, outcome.error)
    counts["answered"] += 1
    return outcome.answer


class WaitingCalls:
    """The calls this node waits on, by id, at most ``max_waiting`` at once."""

    def __init__(self, counts: dict[str, int], max_waiting: int) -> None:
        self._counts = counts
        self._max = max_waiting
        self._ids = itertools.count(1)
        self._futures: dict[int, asyncio.Future[Outcome]] = {}

    @contextmanager
    def slot(self, node: str, method: str) -> Iterator[tuple[int, "asyncio.Future[Outcome]"]]:
        if len(self._futures) >= self._max:
            self._counts["refused"] += 1
            raise TooManyCalls(node, method, f"{self._max} calls already wait for an answer")
        call_id = next(self._ids)
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._futures[call_id] = future
        try:
            yield call_id, future
        finally:
            del self._futures[call_id]

    def settle(self, call_id: int, outcome: Outcome) -> None:
        future = self._futures.get(call_id)
        if future is None or future.done():
            self._counts["late_replies"] += 1  # the caller gave up already
            return
        future.set_result(outcome)

    def close_all(self) -> None:
        for future in self._futures.values():
            if not future.done():
                future.set_result(CLOSED)


class Serving:
    """Serves calls to this node: at most ``max_serving`` at once (more are answered
    "busy" at once), each for at most its caller's timeout."""

    def __init__(self, counts: dict[str, int], max_serving: int) -> None:
        self._counts = counts
        self._max = max_serving
        self._running = 0

    async def answer(self, serve: CallHandler, method: str, payload: Any,
                     timeout_s: float) -> Outcome | None:
        """The outcome to send back; ``None`` once the caller has given up."""
        if self._running >= self._max:
            self._counts["busy"] += 1
            return Outcome(False, error=BUSY)
        self._running += 1
        self._counts["served"] += 1
        try:
            async with asyncio.timeout(timeout_s) as bound:
                answer = await serve(method, payload)
            return Outcome(True, as_msgpack(answer))
        except TimeoutError as error:
            if bound.expired():
                return None
            return self._failed(method, error)
        except Exception as error:
            return self._failed(method, error)
        finally:
            self._running -= 1

    @staticmethod
    def _failed(method: str, error: Exception) -> Outcome:
        logger.exception("node call handler failed", extra={"method": method})
        return Outcome(False, error=f"its handler failed ({type(error).__name__})")
