"""The units' directory: stations open to the public and each commune's competent force.

Pure lookups over what the directory adapter loaded. A place is placed in a commune by
the nearest commune centre (within ``COMMUNE_REACH_KM``): the national competence file
lists communes, not their outlines, so a point near a border may land in the
neighbouring commune; an officer can still transfer.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.opening_hours import WeeklyHours
from rtc_gateway.domain.units import MAX_UNIT_ID_CHARS
from rtc_gateway.domain.zones import distance_km

COMMUNE_REACH_KM = 10.0
"""A point farther than this from every commune centre is outside the directory."""
GRID_DEGREES = 0.25
KM_PER_RING = GRID_DEGREES * 111.0 * 0.62
"""What one more ring of cells adds at least, in km, anywhere below 51.5° N (a degree of
longitude there is 0.62 of a degree of latitude)."""
MAX_RINGS = 40
STATION_REACH_KM = 50.0
"""Past the nearest one, stations farther than this are not offered."""


@dataclass(frozen=True, slots=True)
class Station:
    id: str
    name: str
    force: Force
    address: str
    postcode: str
    commune: str
    insee: str
    department: str
    phone: str
    location: Location
    hours: WeeklyHours


@dataclass(frozen=True, slots=True)
class Commune:
    insee: str
    name: str
    department: str
    force: Force
    centre: Location | None


@dataclass(frozen=True, slots=True)
class NearStation:
    station: Station
    distance_km: float | None


@dataclass(frozen=True, slots=True)
class Competence:
    """Who is competent for a place, and the nearest stations of that force."""

    force: Force
    stations: tuple[NearStation, ...]
    commune: Commune | None


def _cell(location: Location) -> tuple[int, int]:
    return int(location.lat // GRID_DEGREES), int(location.lon // GRID_DEGREES)


@dataclass
class Directory:
    communes: dict[str, Commune] = field(default_factory=dict)
    stations: dict[str, Station] = field(default_factory=dict)
    _grid: dict[tuple[int, int], list[Commune]] = field(default_factory=dict, repr=False)
    _station_grid: dict[tuple[Force, int, int], list[Station]] = field(default_factory=dict,
                                                                     repr=False)

    @classmethod
    def of(cls, communes: Iterable[Commune], stations: Iterable[Station]) -> "Directory":
        directory = cls({c.insee: c for c in communes},
                        {s.id: s for s in with_unique_ids(stations)})
        for commune in directory.communes.values():
            if commune.centre is not None:
                directory._grid.setdefault(_cell(commune.centre), []).append(commune)
        for station in directory.stations.values():
            lat_cell, lon_cell = _cell(station.location)
            directory._station_grid.setdefault((station.force, lat_cell, lon_cell),
                                               []).append(station)
        return directory

    def _candidates(self, force: Force, location: Location, limit: int) -> list[Station]:
        """The stations of ``force`` in rings of cells around ``location``, until the next
        ring cannot hold anything nearer than the ``limit``-th found; past ``MAX_RINGS``,
        all of them."""
        lat_cell, lon_cell = _cell(location)
        found: list[tuple[float, Station]] = []
        for ring in range(MAX_RINGS):
            for dlat in range(-ring, ring + 1):
                for dlon in range(-ring, ring + 1):
                    if max(abs(dlat), abs(dlon)) != ring:
                        continue
                    for station in self._station_grid.get(
                            (force, lat_cell + dlat, lon_cell + dlon), ()):
                        found.append((distance_km(location, station.location), station))
            if len(found) >= limit:
                found.sort(key=lambda pair: (pair[0], pair[1].id))
                if found[limit - 1][0] <= ring * KM_PER_RING:
                    return [station for _, station in found]
        return [s for s in self.stations.values() if s.force is force]

    def commune_at(self, location: Location) -> Commune | None:
        """The commune whose centre is nearest, if one is within reach."""
        lat_cell, lon_cell = _cell(location)
        best: tuple[float, Commune] | None = None
        for dlat in (-1, 0, 1):
            for dlon in (-1, 0, 1):
                for commune in self._grid.get((lat_cell + dlat, lon_cell + dlon), ()):
                    assert commune.centre is not None
                    distance = distance_km(location, commune.centre)
                    if distance <= COMMUNE_REACH_KM and (best is None or distance < best[0]):
                        best = distance, commune
        return best[1] if best is not None else None

    def nearest(self, force: Force, location: Location, limit: int) -> tuple[NearStation, ...]:
        if limit <= 0:
            return ()
        ranked = sorted(
            (NearStation(s, distance_km(location, s.location))
             for s in self._candidates(force, location, limit)),
            key=lambda near: (near.distance_km, near.station.id))
        return tuple(near for rank, near in enumerate(ranked[:limit])
                     if rank == 0 or (near.distance_km or 0.0) <= STATION_REACH_KM)

    def of_commune(self, commune: Commune, limit: int) -> tuple[NearStation, ...]:
        """The stations of the commune's force nearest its centre; without a centre, those
        in the commune, then in its department."""
        if commune.centre is not None:
            return self.nearest(commune.force, commune.centre, limit)
        same_force = [s for s in self.stations.values() if s.force is commune.force]
        ranked = sorted(same_force, key=lambda s: (s.insee != commune.insee,
                                                    s.department != commune.department, s.id))
        return tuple(NearStation(s, None) for s in ranked
                     if s.department == commune.department)[:limit]

    def competence_at(self, location: Location, limit: int) -> Competence | None:
        commune = self.commune_at(location)
        if commune is None:
            return None
        return Competence(commune.force, self.nearest(commune.force, location, limit), commune)

    def competence_in(self, insee: str, limit: int) -> Competence | None:
        commune = self.communes.get(insee)
        if commune is None:
            return None
        return Competence(commune.force, self.of_commune(commune, limit), commune)



def with_unique_ids(stations: Iterable[Station]) -> list[Station]:
    """Two stations of one name (two towns' ``Commissariat de police``) keep apart: the
    second and later get their commune's INSEE code appended, in file order."""
    seen: set[str] = set()
    unique: list[Station] = []
    for station in stations:
        if station.id in seen:
            suffix = f"-{station.insee.lower()}"
            station = replace(station, id=station.id[:MAX_UNIT_ID_CHARS - len(suffix)] + suffix)
        if station.id not in seen:
            seen.add(station.id)
            unique.append(station)
    return unique
