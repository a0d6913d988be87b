"""The bus on Redis pub/sub: one channel per service, msgpack envelopes, a node id each.

Every node subscribes to the service's channel and publishes there; a node drops its own
envelopes by their node id. Two tasks do the I/O, so the caller never waits: the
subscriber (reconnects with back-off after Redis restarts and subscribes again) and the
publisher (sends what ``publish`` queued, pipelined; while Redis is unreachable queued
and new packets are dropped and counted, at most once by design).
"""

import asyncio
import contextlib
import logging
from collections import deque

import msgspec
from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from rtc_gateway.adapters.redis.connection import REDIS_FAILURES, Backoff, connect
from rtc_gateway.ports.bus import BusPacket, Receiver, Target

logger = logging.getLogger(__name__)
ENVELOPE_VERSION = 1
DEFAULT_CHANNEL = "rtc-gateway:bus"
_BATCH = 512


class Envelope(msgspec.Struct, array_like=True, frozen=True):
    version: int
    node: str
    target: Target
    namespace: str
    address: str
    binary: bool
    frame: bytes
    skip_sid: str | None = None


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Envelope)


def encode(node_id: str, packet: BusPacket) -> bytes:
    binary = isinstance(packet.frame, bytes)
    frame = packet.frame if isinstance(packet.frame, bytes) else packet.frame.encode()
    return _encoder.encode(Envelope(ENVELOPE_VERSION, node_id, packet.target, packet.namespace,
                                    packet.address, binary, frame, packet.skip_sid))


def decode(data: bytes) -> tuple[str, BusPacket]:
    """The sender's node id and its packet; ``msgspec.ValidationError`` when malformed."""
    envelope = _decoder.decode(data)
    if envelope.version != ENVELOPE_VERSION:
        raise msgspec.ValidationError(f"envelope version {envelope.version}")
    frame = envelope.frame if envelope.binary else envelope.frame.decode()
    return envelope.node, BusPacket(envelope.target, envelope.namespace, envelope.address,
                                    frame, envelope.skip_sid)


class RedisBus:
    """Implements :class:`rtc_gateway.ports.bus.Bus` on Redis pub/sub."""

    def __init__(self, url: str, node_id: str, channel: str = DEFAULT_CHANNEL,
                 max_queued: int = 10_000, timeout_s: float = 2.0) -> None:
        self._url = url
        self._node_id = node_id
        self._channel = channel
        self._max_queued = max_queued
        self._timeout = timeout_s
        self._queue: deque[bytes] = deque()
        self._wake = asyncio.Event()
        self._subscribed = False
        self._publisher_down = False
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._counts = {"published": 0, "received": 0, "dropped": 0, "reconnects": 0,
                        "malformed": 0}

    @property
    def node_id(self) -> str:
        return self._node_id

    @property
    def connected(self) -> bool:
        return self._subscribed and not self._publisher_down

    async def start(self, receive: Receiver) -> None:
        self._tasks = [
            asyncio.create_task(self._subscribe(receive), name="bus-subscriber"),
            asyncio.create_task(self._publish_queued(), name="bus-publisher"),
        ]

    def publish(self, packet: BusPacket) -> None:
        if self._publisher_down or len(self._queue) >= self._max_queued:
            self._counts["dropped"] += 1
            return
        self._queue.append(encode(self._node_id, packet))
        self._wake.set()

    def stats(self) -> dict[str, int]:
        return dict(self._counts)

    async def close(self) -> None:
        """Cancel both tasks; their loops also stop at their next turn, should redis-py
        swallow a cancellation that arrives in the middle of a call."""
        self._closing = True
        self._wake.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        self._subscribed = False

    # -- receiving ---------------------------------------------------------------

    async def _subscribe(self, receive: Receiver) -> None:
        backoff = Backoff()
        ever_subscribed = False
        while not self._closing:
            client = connect(self._url, self._timeout, health_check_s=2)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self._channel)
                self._subscribed = True
                backoff.reset()
                if ever_subscribed:
                    self._counts["reconnects"] += 1
                    logger.info("bus reconnected", extra={"channel": self._channel})
                ever_subscribed = True
                await self._read(pubsub, receive)
            except REDIS_FAILURES as error:
                if self._subscribed:
                    logger.warning("bus disconnected; reconnecting",
                                   extra={"channel": self._channel,
                                          "error": type(error).__name__})
                self._subscribed = False
            finally:
                self._subscribed = False
                await _quietly_close(pubsub, client)
            await asyncio.sleep(backoff.next_wait())

    async def _read(self, pubsub: PubSub, receive: Receiver) -> None:
        while not self._closing:
            message = await pubsub.get_message(timeout=1.0)
            if message is None or message.get("type") != "message":
                continue
            try:
                sender, packet = decode(message["data"])
            except (msgspec.DecodeError, msgspec.ValidationError, UnicodeDecodeError):
                self._counts["malformed"] += 1
                continue
            if sender == self._node_id:
                continue
            self._counts["received"] += 1
            try:
                receive(packet)
            except Exception:
                logger.exception("bus receiver failed", extra={"target": packet.target})

    # -- sending -----------------------------------------------------------------

    async def _publish_queued(self) -> None:
        client = connect(self._url, self._timeout)
        backoff = Backoff()
        try:
            while not self._closing:
                await self._wake.wait()
                self._wake.clear()
                while self._queue:
                    batch = [self._queue.popleft()
                             for _ in range(min(_BATCH, len(self._queue)))]
                    try:
                        await self._send(client, batch)
                    except REDIS_FAILURES as error:
                        self._counts["dropped"] += len(batch) + len(self._queue)
                        self._queue.clear()
                        logger.warning("bus publish failed; dropping until Redis is back",
                                       extra={"error": type(error).__name__})
                        await _quietly_close(None, client)
                        client = await self._reconnect(backoff)
        finally:
            await _quietly_close(None, client)

    async def _send(self, client: Redis, batch: list[bytes]) -> None:
        async with client.pipeline(transaction=False) as pipe:
            for data in batch:
                pipe.publish(self._channel, data)
            await pipe.execute()
        self._counts["published"] += len(batch)

    async def _reconnect(self, backoff: Backoff) -> Redis:
        """Packets published meanwhile are dropped; returns once Redis answers again."""
        self._publisher_down = True
        while not self._closing:
            await asyncio.sleep(backoff.next_wait())
            client = connect(self._url, self._timeout)
            try:
                await client.ping()
            except REDIS_FAILURES:
                await _quietly_close(None, client)
                continue
            backoff.reset()
            self._publisher_down = False
            return client
        return connect(self._url, self._timeout)


async def _quietly_close(pubsub: PubSub | None, client: Redis) -> None:
    with contextlib.suppress(*REDIS_FAILURES):
        if pubsub is not None:
            await pubsub.aclose()  # type: ignore[no-untyped-call]
        await client.aclose()
