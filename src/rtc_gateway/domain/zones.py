"""Which force covers a place: police in the large urban areas, gendarmerie elsewhere."""

import json
import math
from dataclasses import dataclass
from importlib import resources

from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.forces import Force

EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True, slots=True)
class PoliceZone:
    name: str
    centre: Location
    radius_km: float


def distance_km(a: Location, b: Location) -> float:
    """Great-circle (haversine) distance."""
    lat1, lat2 = math.radians(a.lat), math.radians(b.lat)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon - a.lon)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def force_for_location(location: Location, zones: tuple[PoliceZone, ...]) -> Force:
    for zone in zones:
        if distance_km(location, zone.centre) <= zone.radius_km:
            return Force.POLICE
    return Force.GENDARMERIE


def load_default_zones() -> tuple[PoliceZone, ...]:
    raw = json.loads(
        resources.files("rtc_gateway").joinpath("data/police_zones.json").read_text("utf-8")
    )
    return tuple(
        PoliceZone(z["name"], Location(z["lat"], z["lon"]), float(z["radius_km"]))
        for z in raw["zones"]
    )
