"""A citizen's presence as staff receive it."""

from typing import Any

from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.services.presence import CitizenPresence


def presence_wire(presence: CitizenPresence) -> dict[str, Any]:
    return {"connected": presence.connected, "at": format_utc(presence.at)}
