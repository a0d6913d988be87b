"""Engine.IO v4 parts both transports share: the open packet and HTTP errors."""

from aiohttp import web

from rtc_gateway.realtime import fast_json
from rtc_gateway.realtime.packets import ENGINE_OPEN


def open_payload(sid: str, upgrades: list[str], ping_interval_s: float,
                 ping_timeout_s: float, max_payload: int) -> bytes:
    return ENGINE_OPEN.encode() + fast_json.encode({
        "sid": sid,
        "upgrades": upgrades,
        "pingInterval": round(ping_interval_s * 1000),
        "pingTimeout": round(ping_timeout_s * 1000),
        "maxPayload": max_payload,
    })


def engine_error(status: int, code: int, message: str) -> web.Response:
    """Engine.IO's error body: ``{"code": N, "message": ...}``."""
    return web.json_response({"code": code, "message": message}, status=status)
