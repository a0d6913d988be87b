"""A position told as a place: the nearest named area of the shipped list, and how far."""

from dataclasses import dataclass

from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.zones import PoliceZone, distance_km


@dataclass(frozen=True, slots=True)
class NearestPlace:
    name: str
    distance_km: float
    inside: bool
    """True when the position lies within the area's radius."""


def nearest_place(location: Location, zones: tuple[PoliceZone, ...]) -> NearestPlace | None:
    best: NearestPlace | None = None
    for zone in zones:
        distance = distance_km(location, zone.centre)
        if best is None or distance < best.distance_km:
            best = NearestPlace(zone.name, distance, distance <= zone.radius_km)
    return best
