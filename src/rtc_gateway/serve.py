"""Running the gateway until SIGTERM/SIGINT, then draining and flushing cleanly."""

import asyncio
import contextlib
import errno
import logging
import signal
import sys
from typing import TextIO

from aiohttp import web

from rtc_gateway.app import build_gateway
from rtc_gateway.config import Settings
from rtc_gateway.gc_tuning import tune_for_serving
from rtc_gateway.realtime.client_address import AddressSet
from rtc_gateway.realtime.connection_caps import ConnectionCaps, raise_file_limit
from rtc_gateway.realtime.front_door import RealtimeSite
from rtc_gateway.realtime.server import RealtimeServer
from rtc_gateway.standby import stand_by

log = logging.getLogger(__name__)

_WHY_NOT = {
    errno.EADDRINUSE: "is already in use (another gateway, or another program?)",
    errno.EACCES: "needs privileges this user does not have",
    errno.EADDRNOTAVAIL: "is not an address of this machine",
}


class CannotListen(Exception):
    """The listen address cannot be bound; the message says why, for an operator."""


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    if settings.standby:
        try:
            if not await stand_by(settings, stop):
                log.info("standby stopped")
                return
        except OSError as error:
            raise CannotListen(_listen_failure(settings, error)) from error
    gateway = build_gateway(settings)
    runner = web.AppRunner(gateway.app, handle_signals=False, access_log=None,
                           shutdown_timeout=5.0, keepalive_timeout=settings.head_timeout_s)
    await runner.setup()
    raise_file_limit()
    trusted = AddressSet(settings.trusted_proxies)
    site = RealtimeSite(runner, gateway.server, settings.host, settings.port, backlog=4096,
                        reuse_address=True, head_timeout_s=settings.head_timeout_s,
                        trusted_proxies=trusted, caps=ConnectionCaps(
                            max_total=settings.max_connections,
                            max_per_address=settings.max_connections_per_address,
                            trusted_proxies=trusted))
    gateway.metrics.watch_front_door(site.counters.stats)
    try:
        await site.start()
    except OSError as error:
        await _stop(gateway.server, runner)
        raise CannotListen(_listen_failure(settings, error)) from error
    tune_for_serving()
    log.info("listening", extra={"host": settings.host, "port": settings.port,
                                 "data_dir": str(settings.data_dir),
                                 "serializer": settings.serializer})
    if sys.stderr.isatty():
        print_welcome(settings, sys.stderr)
    await stop.wait()
    log.info("shutting down")
    await _stop(gateway.server, runner)


async def _stop(server: RealtimeServer, runner: web.AppRunner) -> None:
    with contextlib.suppress(Exception):
        await server.shutdown()
    await runner.cleanup()


def _listen_failure(settings: Settings, error: OSError) -> str:
    why = _WHY_NOT.get(error.errno or 0, f"cannot be opened ({error.strerror or error})")
    return (f"cannot listen on {settings.host}:{settings.port}: the port {why};"
            " choose another with --port (or RTC_GATEWAY_PORT)")


def browser_url(settings: Settings) -> str:
    """The address to type in a browser on this machine."""
    host = settings.host
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"


def print_welcome(settings: Settings, out: TextIO) -> None:
    """What a person at a terminal needs next (the JSON log lines are for machines)."""
    url = browser_url(settings)
    data_dir = str(settings.data_dir)
    out.write(
        f"\nrtc-gateway is ready.\n"
        f"  Citizen page:     {url}/demo/\n"
        f"  Officer console:  {url}/demo/agent.html\n"
        f"  An officer token: in a second terminal (this one runs the gateway), run\n"
        f"      rtc-gateway token agent --data-dir {data_dir} --id P-001"
        f' --name "Lieutenant Martin" --service police\n'
        f"    then paste it into the console, or open {url}/demo/agent.html#token=TOKEN\n"
        f"  Stop with Ctrl+C.\n\n"
    )
    out.flush()


def run(settings: Settings) -> None:
    try:
        import uvloop
    except ImportError:
        asyncio.run(serve(settings))
    else:
        uvloop.run(serve(settings))
