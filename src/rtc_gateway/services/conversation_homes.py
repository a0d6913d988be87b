"""Several nodes serving one service: every open conversation has one home node.

The home is the node its citizen opened it on; only the home numbers its messages and
writes its records, so ``seq`` stays gapless and unique and its hash chain has one
writer, whichever node each side is connected to. Another node asked about it finds
the home (``ports/conversation_homes.py``) and forwards the request with a node call
(``ports/node_calls.py``); the answer comes back the same way and the home's emits
reach the other side's sockets through the bus.

When the home dies, the first node that needs the conversation (a client of it, an
assignment, or the registry reporting the node gone) moves the home to itself with a
compare-and-set and rebuilds the conversation from the evidence log, the source of
truth, so nothing acknowledged is lost. A home cut off from the others may not know it
was replaced: the PostgreSQL log refuses a ``seq`` that does not follow the last logged
one, whichever node numbered it (the fence), and :meth:`reconcile` drops, once Redis
answers again, the conversations that moved away meanwhile.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.errors import Unavailable
from rtc_gateway.ports.conversation_homes import ConversationHomes, Home
from rtc_gateway.ports.conversation_store import ConversationStore
from rtc_gateway.ports.node_calls import NodeCallError, NodeCalls, NodeUnreachable

log = logging.getLogger(__name__)

Method = Callable[[Any], Awaitable[Any]]
REMEMBERED_HOMES = 100_000


class NodeGone(Unavailable):
    """The node called has died: what it held can be taken over now."""

    def __init__(self, node: str) -> None:
        super().__init__(f"node {node} is gone")
        self.node = node

Adopt = Callable[[str], Awaitable[Conversation | None]]


class ConversationHomesService:
    def __init__(self, *, homes: ConversationHomes, calls: NodeCalls,
                 live_nodes: Callable[[], frozenset[str]], store: ConversationStore,
                 reachable: Callable[[], bool] = lambda: True,
                 call_timeout_s: float = 5.0, gone_within_s: float = 8.5) -> None:
        """``gone_within_s``: how long the registry may take to report a dead node."""
        self._homes = homes
        self._calls = calls
        self._live_nodes = live_nodes
        self._store = store
        self._reachable = reachable
        self._timeout = call_timeout_s
        self._gone_within_s = gone_within_s
        self._watch: asyncio.Task[None] | None = None
        self._methods: dict[str, Method] = {}
        self._adopt: Adopt | None = None
        self._adopting: dict[str, asyncio.Future[Conversation | str | None]] = {}
        self._seen_elsewhere: dict[str, str] = {}
        """Homes read from Redis, while that node is live: a home moves only when its
        node dies, so the next event about the conversation asks Redis nothing."""

    @property
    def node_id(self) -> str:
        return self._homes.node_id

    def serve(self, method: str, handler: Method) -> None:
        """Answer node calls named ``method`` with ``handler(payload)``."""
        self._methods[method] = handler

    def adopt_with(self, adopt: Adopt) -> None:
        """How a conversation whose home died comes back here: rebuilt from the log,
        restored to the store and to routing (``None``: the log holds no open one)."""
        self._adopt = adopt

    async def start(self) -> None:
        await self._calls.start(self._answer)
        self._watch = asyncio.create_task(self._reconcile_after_cuts(), name="homes-watch")

    async def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
        await self._calls.close()
        await self._homes.close()

    async def _reconcile_after_cuts(self, every_s: float = 1.0) -> None:
        """Each time this node's heartbeats reach Redis again after failing."""
        was_cut = False
        while True:
            await asyncio.sleep(every_s)
            if not self._reachable():
                was_cut = True
                continue
            if was_cut:
                try:
                    await self.reconcile()
                    was_cut = False
                except Unavailable:
                    continue

    # --- where a conversation lives ------------------------------------------

    async def opened(self, conversation_id: str) -> None:
        await self._homes.settle(conversation_id)

    async def closed(self, conversation_id: str) -> None:
        try:
            await self._homes.leave(conversation_id)
        except Unavailable:
            log.warning("conversation homes unreachable: a closed conversation keeps its"
                        " home entry", extra={"conversation_id": conversation_id})

    async def locate(self, conversation_id: str) -> Conversation | str | None:
        """The conversation if it lives here (taken over first when its home died), else
        the live node that holds it; ``None`` when no node holds it open."""
        conversation = self._store.get(conversation_id)
        if conversation is not None:
            return conversation
        live = self._live_nodes()
        known = self._seen_elsewhere.get(conversation_id)
        if known is not None and known in live:
            return known
        home = await self._homes.home_of(conversation_id)
        if home is None:
            return None
        if home.node != self.node_id and home.node in live:
            self._remember(conversation_id, home.node)
            return home.node
        return await self._take_over(conversation_id, home)

    def forget(self, conversation_id: str) -> None:
        """The node remembered as holding it answered that it does not (closed there)."""
        self._seen_elsewhere.pop(conversation_id, None)

    def _remember(self, conversation_id: str, node: str) -> None:
        if len(self._seen_elsewhere) >= REMEMBERED_HOMES:
            self._seen_elsewhere.clear()
        self._seen_elsewhere[conversation_id] = node

    async def adopt_from(self, node: str) -> int:
        """A node died: take over each of its conversations no other survivor took first."""
        adopted = 0
        for conversation_id in await self._homes.homed_at(node):
            if self._store.get(conversation_id) is not None:
                continue
            home = await self._homes.home_of(conversation_id)
            if home is not None and home.node == node and isinstance(
                    await self._take_over(conversation_id, home), Conversation):
                adopted += 1
        log.info("conversations of a gone node taken over",
                 extra={"node_id": node, "adopted": adopted})
        return adopted

    async def claim_recovered(self, conversation_id: str) -> bool:
        """At start: whether this node should rebuild an open conversation of the log
        (no live node holds it, and this node won it)."""
        home = await self._homes.home_of(conversation_id)
        if home is not None and home.node != self.node_id and home.node in self._live_nodes():
            return False
        if home is not None and home.node == self.node_id:
            return True
        return await self._homes.move_here(conversation_id, home) is not None

    async def reconcile(self) -> list[str]:
        """Drop the conversations held here whose home is another node now (this node
        was cut off long enough to be taken over); returns their ids."""
        moved = []
        for conversation in list(self._store):
            home = await self._homes.home_of(conversation.id)
            if home is not None and home.node != self.node_id:
                self._store.remove(conversation.id)
                moved.append(conversation.id)
                log.warning("conversation moved to another node while this one was cut off",
                            extra={"conversation_id": conversation.id, "home": home.node})
        return moved

    async def _take_over(self, conversation_id: str, seen: Home) -> Conversation | str | None:
        """One adoption per conversation at a time on this node; across nodes the
        compare-and-set on the home decides."""
        running = self._adopting.get(conversation_id)
        if running is not None:
            return await asyncio.shield(running)
        future: asyncio.Future[Conversation | str | None] = (
            asyncio.get_running_loop().create_future())
        self._adopting[conversation_id] = future
        try:  # in a task: the log's reads time out, and event handlers run eagerly
            conversation = await asyncio.ensure_future(
                self._move_and_adopt(conversation_id, seen))
            future.set_result(conversation)
            return conversation
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: the waiters get it too
            raise
        finally:
            del self._adopting[conversation_id]

    async def _move_and_adopt(self, conversation_id: str, seen: Home
                              ) -> Conversation | str | None:
        if seen.node != self.node_id and await self._homes.move_here(
                conversation_id, seen) is None:
            now = await self._homes.home_of(conversation_id)  # another survivor won it
            if now is not None and now.node != self.node_id:
                return now.node
            return self._store.get(conversation_id)
        assert self._adopt is not None, "adopt_with() is called when the gateway is wired"
        conversation = await self._adopt(conversation_id)
        if conversation is None:
            await self._homes.leave(conversation_id)
            return None
        log.info("conversation taken over", extra={
            "conversation_id": conversation_id, "from_node": seen.node})
        return conversation

    # --- calls between nodes --------------------------------------------------

    def other_nodes(self) -> list[str]:
        return sorted(self._live_nodes() - {self.node_id})

    async def call(self, node: str, method: str, payload: Any) -> Any:
        """``node``'s answer; :class:`NodeGone` when it is not listening and the registry
        then reports it gone (ask again: the conversation can be taken over now), else
        ``Unavailable`` for any call that got no answer."""
        try:  # in a task: event handlers run eagerly, where a timeout has no task
            return await asyncio.ensure_future(
                self._calls.call(node, method, payload, timeout_s=self._timeout))
        except NodeUnreachable as error:
            if await self._gone_soon(node):
                raise NodeGone(node) from error
            raise self._no_answer(node, method, error) from error
        except NodeCallError as error:
            raise self._no_answer(node, method, error) from error

    async def _gone_soon(self, node: str, every_s: float = 0.1) -> bool:
        """Whether the registry reports ``node`` gone within the time it takes to notice
        a dead node (a node killed a moment ago is still listed as live)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._gone_within_s
        while node in self._live_nodes():
            if loop.time() > deadline:
                return False
            await asyncio.sleep(every_s)
        return True

    @staticmethod
    def _no_answer(node: str, method: str, error: NodeCallError) -> Unavailable:
        log.warning("node call failed", extra={"node_id": node, "method": method,
                                               "reason": error.reason})
        return Unavailable("the node holding this conversation does not answer; retry")

    async def _answer(self, method: str, payload: Any) -> Any:
        handler = self._methods.get(method)
        if handler is None:
            raise LookupError(f"no such node call: {method}")
        return await handler(payload)
