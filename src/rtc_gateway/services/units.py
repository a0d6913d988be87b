"""Finding the competent unit: the force and the nearest stations open to the public,
for a position or a commune, with whether each is open now (Europe/Paris time).

This one lookup serves ``/api/v1/units``, a chat's ``service: auto`` and the choice of a
case's unit. Outside the directory's communes (a sample covers a few departments) a
position still gets a force from the coarse urban circles of ``domain.zones``, with no
station: the answer says ``coverage: "approximate"``.
"""

from dataclasses import dataclass

from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.directory import Commune, Competence, NearStation, Station
from rtc_gateway.domain.errors import BadRequest, NotFound
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.units import INSEE_CODE, UnitChoice, force_of_unit
from rtc_gateway.domain.zones import PoliceZone, force_for_location
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.unit_directory import UnitDirectory

DEFAULT_LIMIT = 3
MAX_LIMIT = 10


@dataclass(frozen=True, slots=True)
class FoundUnits:
    force: Force
    units: tuple[NearStation, ...]
    commune: Commune | None
    approximate: bool


class UnitFinder:
    def __init__(self, source: UnitDirectory, zones: tuple[PoliceZone, ...],
                 clock: Clock) -> None:
        self._source = source
        self._zones = zones
        self._clock = clock

    def load(self) -> None:
        """Read the directory now (at start) rather than at the first lookup."""
        self._source.directory()

    def at(self, location: Location, limit: int = DEFAULT_LIMIT) -> FoundUnits:
        found = self._source.directory().competence_at(location, limit)
        if found is None:
            return FoundUnits(force_for_location(location, self._zones), (), None, True)
        return _found(found)

    def in_commune(self, insee: str, limit: int = DEFAULT_LIMIT) -> FoundUnits:
        """404 for a commune the directory does not list (400 for a malformed code)."""
        if not INSEE_CODE.match(insee):
            raise BadRequest("commune must be an INSEE code (5 characters, 2A/2B for Corsica)")
        found = self._source.directory().competence_in(insee, limit)
        if found is None:
            raise NotFound(f"commune {insee} is not in the units' directory")
        return _found(found)

    def station(self, unit_id: str) -> Station:
        force_of_unit(unit_id)
        station = self._source.directory().stations.get(unit_id)
        if station is None:
            raise NotFound("no such unit")
        return station

    def force_at(self, location: Location) -> Force:
        """A chat's ``service: auto`` with a location."""
        return self.at(location, limit=0).force

    def choose(self, choice: UnitChoice) -> tuple[Force, str | None]:
        """The force and unit of a new case: ``unit_id`` when given, else the nearest
        station of the competent force for the place; no unit outside the directory."""
        if choice.unit_id is not None:
            return force_of_unit(choice.unit_id), choice.unit_id
        if choice.location is not None:
            found = self.at(choice.location, limit=1)
        elif choice.commune is not None:
            try:
                found = self.in_commune(choice.commune, limit=1)
            except NotFound as error:
                raise BadRequest(f"{error.message}: give place.lat and place.lon, "
                                 "or unit_id") from None
        else:
            raise BadRequest("give unit_id or the place of the facts "
                             "(place.lat and place.lon, or place.commune)")
        return found.force, found.units[0].station.id if found.units else None

    def is_open(self, station: Station) -> bool:
        return station.hours.is_open(self._clock.now())


def _found(competence: Competence) -> FoundUnits:
    return FoundUnits(competence.force, competence.stations, competence.commune, False)
