"""Node calls on Redis pub/sub: msgpack envelopes, a request channel and a reply channel
per node.

A node subscribes to its two channels. A call publishes its request on the callee's
request channel; ``PUBLISH`` says how many subscribers got it, so a node that is not
listening (gone, unknown, or Redis restarted and its subscription not back yet) is known
at once. The callee serves it (``node_call_parts.Serving``: bounded in number and by the
caller's timeout, which the request carries) and publishes the answer on the caller's
reply channel, through a queue and one task, so the subscriber never waits. Answers
arriving after their caller gave up are counted and dropped. While this node's
subscription is down, calls fail at once: their answers could not arrive.
"""

import asyncio
import contextlib
import logging
from collections import deque
from typing import Any

import msgspec
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from rtc_gateway.adapters.node_call_parts import (
    Outcome,
    Serving,
    WaitingCalls,
    new_counts,
    result,
)
from rtc_gateway.adapters.redis.connection import REDIS_FAILURES, Backoff, connect
from rtc_gateway.ports.node_calls import CallHandler, NodeUnreachable

logger = logging.getLogger(__name__)
ENVELOPE_VERSION = 1
DEFAULT_PREFIX = "rtc-gateway:node-calls"
_BATCH = 256


class Request(msgspec.Struct, array_like=True, frozen=True):
    version: int
    caller: str
    call_id: int
    method: str
    timeout_ms: int
    payload: Any = None


class Reply(msgspec.Struct, array_like=True, frozen=True):
    version: int
    call_id: int
    outcome: Outcome


_encoder = msgspec.msgpack.Encoder()
_requests = msgspec.msgpack.Decoder(Request)
_replies = msgspec.msgpack.Decoder(Reply)
_MALFORMED = (msgspec.DecodeError, msgspec.ValidationError)


class RedisNodeCalls:
    """Implements :class:`rtc_gateway.ports.node_calls.NodeCalls` on Redis pub/sub."""

    def __init__(self, url: str, node_id: str, *, prefix: str = DEFAULT_PREFIX,
                 timeout_s: float = 2.0, max_waiting: int = 1000, max_serving: int = 100,
                 max_queued_replies: int = 10_000, redis_timeout_s: float = 2.0) -> None:
        self._url = url
        self._node_id = node_id
        self._prefix = prefix
        self._timeout_s = timeout_s
        self._redis_timeout_s = redis_timeout_s
        self._counts = {**new_counts(), "malformed": 0, "reconnects": 0,
                        "replies_dropped": 0}
        self._waiting = WaitingCalls(self._counts, max_waiting)
        self._serving = Serving(self._counts, max_serving)
        self._max_queued = max_queued_replies
        self._outbox: deque[tuple[str, bytes, asyncio.Future[int] | None]] = deque()
        """Requests (with the future of their listener count) and replies (``None``),
        published by one task in pipelines: calls in flight never hold a connection each."""
        self._wake = asyncio.Event()
        self._subscribed = False
        self._closing = False
        self._client: Redis | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._answering: set[asyncio.Task[None]] = set()

    def requests_channel(self, node: str) -> str:
        return f"{self._prefix}:requests:{node}"

    def replies_channel(self, node: str) -> str:
        return f"{self._prefix}:replies:{node}"

    @property
    def node_id(self) -> str:
        return self._node_id

    @property
    def connected(self) -> bool:
        return self._subscribed

    async def start(self, serve: CallHandler) -> None:
        self._client = connect(self._url, self._redis_timeout_s)
        self._tasks = [
            asyncio.create_task(self._subscribe(serve), name="node-calls-subscriber"),
            asyncio.create_task(self._send_outbox(), name="node-calls-outbox"),
        ]

    async def call(self, node: str, method: str, payload: Any = None, *,
                   timeout_s: float | None = None) -> Any:
        timeout = self._timeout_s if timeout_s is None else timeout_s
        self._counts["calls"] += 1
        if not self._subscribed or self._client is None:
            self._counts["unreachable"] += 1
            raise NodeUnreachable(node, method, "Redis is unreachable from this node")
        with self._waiting.slot(node, method) as (call_id, answer):
            request = _encoder.encode(Request(ENVELOPE_VERSION, self._node_id, call_id,
                                              method, max(1, round(timeout * 1000)),
                                              payload))
            try:
                async with asyncio.timeout(timeout):
                    await self._deliver(self._client, node, method, request)
                    outcome: Outcome | None = await answer
            except TimeoutError:
                outcome = None
        return result(self._counts, outcome, node, method, timeout)

    async def _deliver(self, client: Redis, node: str, method: str, request: bytes) -> None:
        published: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._outbox.append((self.requests_channel(node), request, published))
        self._wake.set()
        try:
            listeners = await published
        except REDIS_FAILURES as error:
            self._counts["unreachable"] += 1
            raise NodeUnreachable(node, method, f"Redis is unreachable"
                                                f" ({type(error).__name__})") from None
        if not listeners:
            self._counts["unreachable"] += 1
            raise NodeUnreachable(node, method, "no such node is listening")

    def stats(self) -> dict[str, int]:
        return dict(self._counts)

    async def close(self) -> None:
        self._closing = True
        self._wake.set()
        self._waiting.close_all()
        for task in (*self._tasks, *self._answering):
            task.cancel()
        await asyncio.gather(*self._tasks, *self._answering, return_exceptions=True)
        self._tasks = []
        self._subscribed = False
        if self._client is not None:
            with contextlib.suppress(*REDIS_FAILURES):
                await self._client.aclose()

    # -- receiving requests and replies -------------------------------------------

    async def _subscribe(self, serve: CallHandler) -> None:
        backoff = Backoff()
        ever_subscribed = False
        channels = (self.requests_channel(self._node_id), self.replies_channel(self._node_id))
        while not self._closing:
            client = connect(self._url, self._redis_timeout_s, health_check_s=2)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(*channels)
                self._subscribed = True
                backoff.reset()
                if ever_subscribed:
                    self._counts["reconnects"] += 1
                    logger.info("node calls subscribed again", extra={"node_id": self._node_id})
                ever_subscribed = True
                await self._read(pubsub, serve, channels[0].encode())
            except REDIS_FAILURES as error:
                if self._subscribed:
                    logger.warning("node calls lost Redis; reconnecting",
                                   extra={"error": type(error).__name__})
            finally:
                self._subscribed = False
                await _quietly_close(pubsub, client)
            await asyncio.sleep(backoff.next_wait())

    async def _read(self, pubsub: PubSub, serve: CallHandler, requests: bytes) -> None:
        while not self._closing:
            message = await pubsub.get_message(timeout=1.0)
            if message is None or message.get("type") != "message":
                continue
            try:
                if message["channel"] == requests:
                    self._serve(serve, _requests.decode(message["data"]))
                else:
                    reply = _replies.decode(message["data"])
                    if reply.version != ENVELOPE_VERSION:
                        raise msgspec.ValidationError(f"envelope version {reply.version}")
                    self._waiting.settle(reply.call_id, reply.outcome)
            except _MALFORMED:
                self._counts["malformed"] += 1

    def _serve(self, serve: CallHandler, request: Request) -> None:
        if request.version != ENVELOPE_VERSION:
            raise msgspec.ValidationError(f"envelope version {request.version}")
        task = asyncio.create_task(self._answer(serve, request))
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _answer(self, serve: CallHandler, request: Request) -> None:
        outcome = await self._serving.answer(serve, request.method, request.payload,
                                             request.timeout_ms / 1000)
        if outcome is None:
            return  # the caller has given up: no answer
        if len(self._outbox) >= self._max_queued:
            self._counts["replies_dropped"] += 1
            return
        self._outbox.append((self.replies_channel(request.caller), _encoder.encode(
            Reply(ENVELOPE_VERSION, request.call_id, outcome)), None))
        self._wake.set()

    # -- sending requests and replies ---------------------------------------------

    async def _send_outbox(self) -> None:
        while not self._closing:
            await self._wake.wait()
            self._wake.clear()
            while self._outbox and self._client is not None:
                batch = [self._outbox.popleft()
                         for _ in range(min(_BATCH, len(self._outbox)))]
                try:
                    async with self._client.pipeline(transaction=False) as pipe:
                        for channel, data, _ in batch:
                            pipe.publish(channel, data)
                        counts = await pipe.execute()
                except REDIS_FAILURES as error:
                    self._failed(batch, error)
                    continue
                for (_, _, published), listeners in zip(batch, counts, strict=True):
                    if published is not None and not published.done():
                        published.set_result(int(listeners))

    def _failed(self, batch: list[tuple[str, bytes, asyncio.Future[int] | None]],
                error: BaseException) -> None:
        replies = 0
        for _, _, published in batch:
            if published is None:
                replies += 1
            elif not published.done():
                published.set_exception(error)
        if replies:
            self._counts["replies_dropped"] += replies
            logger.warning("node call answers not sent: Redis unreachable",
                           extra={"error": type(error).__name__})


async def _quietly_close(pubsub: PubSub, client: Redis) -> None:
    with contextlib.suppress(*REDIS_FAILURES):
        await pubsub.aclose()  # type: ignore[no-untyped-call]
        await client.aclose()
