"""Running the gateway until SIGTERM/SIGINT, then draining and flushing cleanly."""

import asyncio
import contextlib
import logging
import signal

from aiohttp import web

from rtc_gateway.app import build_gateway
from rtc_gateway.config import Settings
from rtc_gateway.gc_tuning import tune_for_serving
from rtc_gateway.realtime.client_address import AddressSet
from rtc_gateway.realtime.front_door import RealtimeSite

log = logging.getLogger(__name__)


async def serve(settings: Settings) -> None:
    gateway = build_gateway(settings)
    runner = web.AppRunner(gateway.app, handle_signals=False, access_log=None,
                           shutdown_timeout=5.0, keepalive_timeout=settings.head_timeout_s)
    await runner.setup()
    site = RealtimeSite(runner, gateway.server, settings.host, settings.port, backlog=4096,
                        reuse_address=True, head_timeout_s=settings.head_timeout_s,
                        trusted_proxies=AddressSet(settings.trusted_proxies))
    gateway.metrics.watch_front_door(site.counters.stats)
    await site.start()
    tune_for_serving()
    log.info("listening", extra={"host": settings.host, "port": settings.port,
                                 "data_dir": str(settings.data_dir),
                                 "serializer": settings.serializer})
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    log.info("shutting down")
    with contextlib.suppress(Exception):
        await gateway.server.shutdown()
    await runner.cleanup()


def run(settings: Settings) -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(settings))
    else:
        uvloop.run(serve(settings))
