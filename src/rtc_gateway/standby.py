"""Part of the composition root: a hot standby waits for the serving node to die.

Routing state is still in the serving node's memory, so one node serves a service at a
time. A node started with ``standby`` (``--standby``, ``RTC_GATEWAY_STANDBY``) that
finds another node live in the registry does not exit: it listens on its address with
``/healthz`` answering 503 (``standby: NODE is live``), reads the registry every
fifth of the TTL without registering itself, and once no node is live (the serving
node's entry expired: SIGKILL, a crash, a lost host; or it left: SIGTERM) it claims the
takeover in Redis, stops listening and starts as any node does, recovering the open
conversations from the PostgreSQL log. Of several standbys the one that claims first
starts; the others go on waiting for it.
"""

import asyncio
import contextlib
import logging

from aiohttp import web

from rtc_gateway.adapters.redis.connection import REDIS_FAILURES
from rtc_gateway.adapters.redis.standby_watch import RedisStandbyWatch
from rtc_gateway.config import Settings
from rtc_gateway.gateway.standby_routes import StandbyState, standby_app
from rtc_gateway.shared_services import node_id_for

logger = logging.getLogger(__name__)


async def stand_by(settings: Settings, stop: asyncio.Event) -> bool:
    """Answer as a standby until this node may serve (True) or ``stop`` is set (False).
    Raises ``OSError`` when the address cannot be listened on."""
    assert settings.redis_url is not None
    node_id = node_id_for(settings)
    state = StandbyState()
    runner = web.AppRunner(standby_app(state), handle_signals=False, access_log=None,
                           shutdown_timeout=1.0)
    await runner.setup()
    watch = RedisStandbyWatch(settings.redis_url, node_id)
    try:
        await web.TCPSite(runner, settings.host, settings.port, reuse_address=True).start()
        return await _wait_for_takeover(watch, node_id, state, settings.node_ttl_s, stop)
    finally:
        await runner.cleanup()
        await watch.close()


async def _wait_for_takeover(watch: RedisStandbyWatch, node_id: str, state: StandbyState,
                             ttl_s: float, stop: asyncio.Event) -> bool:
    told = ""
    while not stop.is_set():
        try:
            others = await watch.live_nodes() - {node_id}
            if not others and await watch.claim_takeover(hold_s=ttl_s * 2):
                logger.info("standby taking over", extra={"node_id": node_id})
                return True
            state.reason = (f"standby: {', '.join(sorted(others))} is live" if others
                            else "standby: another standby is taking over")
        except REDIS_FAILURES as error:
            state.reason = f"standby: Redis unreachable ({type(error).__name__})"
        if state.reason != told:
            told = state.reason
            logger.info("standing by", extra={"node_id": node_id, "reason": state.reason})
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), ttl_s / 5)
    return False
