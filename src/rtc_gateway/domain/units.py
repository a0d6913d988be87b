"""Unit ids and the choice of a case's unit from the place of the facts.

Until the units' directory ships, a unit id is ``FORCE-NAME`` in lower-case ASCII
(``police-lyon``, ``gendarmerie-cgd-annecy``): its first part names the force. A place
given as ``lat``/``lon`` goes to the force that covers it (the same lookup as a chat's
``service: auto``); inside a police zone the unit is that zone's (``police-`` and the
zone's name as a slug), elsewhere the case has no unit yet and the whole gendarmerie
sees it.
"""

import re
import unicodedata
from dataclasses import dataclass

from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.errors import BadRequest
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.zones import PoliceZone, distance_km, force_for_location

UNIT_ID = re.compile(r"^(police|gendarmerie)-[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_UNIT_ID_CHARS = 64


def force_of_unit(unit_id: str) -> Force:
    """The force a unit id names; 400 when it is not a unit id."""
    if len(unit_id) > MAX_UNIT_ID_CHARS or not UNIT_ID.match(unit_id):
        raise BadRequest("unit_id must look like police-NAME or gendarmerie-NAME")
    return Force(unit_id.split("-", 1)[0])


def slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def unit_for_location(location: Location,
                      zones: tuple[PoliceZone, ...]) -> tuple[Force, str | None]:
    """The force covering ``location`` and its unit there, ``None`` outside police zones."""
    if force_for_location(location, zones) is Force.GENDARMERIE:
        return Force.GENDARMERIE, None
    zone = min((z for z in zones if distance_km(location, z.centre) <= z.radius_km),
               key=lambda z: distance_km(location, z.centre))
    return Force.POLICE, f"police-{slug(zone.name)}"


INSEE_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")


@dataclass(frozen=True, slots=True)
class UnitChoice:
    """What a citizen said about the unit: a unit id, or the place of the facts."""

    unit_id: str | None = None
    location: Location | None = None
    commune: str | None = None


def choose_unit(choice: UnitChoice, zones: tuple[PoliceZone, ...]) -> tuple[Force, str | None]:
    """The force and unit of a new case: ``unit_id`` when given, else from the place.

    A commune code alone is not enough yet (no communes' directory): 400, asking for
    coordinates or a unit id.
    """
    if choice.unit_id is not None:
        return force_of_unit(choice.unit_id), choice.unit_id
    if choice.location is not None:
        return unit_for_location(choice.location, zones)
    if choice.commune is not None:
        if not INSEE_CODE.match(choice.commune):
            raise BadRequest("place.commune must be an INSEE code (5 characters)")
        raise BadRequest("a commune alone cannot place the case yet: "
                         "give place.lat and place.lon, or unit_id")
    raise BadRequest("give unit_id or the place of the facts (place.lat, place.lon)")
