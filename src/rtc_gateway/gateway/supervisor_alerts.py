"""Alarms for supervisors, spoken as ``/agent`` events to the supervisors' room."""

from collections.abc import Callable

from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.gateway.rooms import AGENT_NAMESPACE, SUPERVISORS_ROOM
from rtc_gateway.realtime.server import RealtimeServer
from rtc_gateway.services.urgent_surge import SurgeAlarm


def urgent_surge_alarm(server: RealtimeServer) -> Callable[[SurgeAlarm], None]:
    def emit(alarm: SurgeAlarm) -> None:
        server.emit("alert:urgent_surge",
                    {"count": alarm.count, "window_s": alarm.window_s, "at": format_utc(alarm.at)},
                    room=SUPERVISORS_ROOM, namespace=AGENT_NAMESPACE)
    return emit
