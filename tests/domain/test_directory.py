"""The units' directory: unit ids from names, rows of the national files, the lookup."""

from datetime import UTC, datetime

import pytest

from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.directory import Commune, Directory, Station, with_unique_ids
from rtc_gateway.domain.directory_rows import (
    RowError,
    commune_of,
    missing_columns,
    station_of,
    station_row,
)
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.opening_hours import DAYS_FR
from rtc_gateway.domain.units import UNIT_ID, unit_id_for

ROW = {"service": "Brigade territoriale autonome de Florac", "force": "Gendarmerie nationale",
       "telephone": "04 65 71 48 20", "adresse_geographique": "1 avenue Jean Monestier",
       "code_postal": "48400", "commune": "Florac Trois Rivières",
       "code_commune_insee": "48061", "departement": "48", "latitude": "44.324",
       "longitude": "3.593", **{day: "08:00-12:00,14:00-18:00" for day in DAYS_FR}}


@pytest.mark.parametrize(("force", "name", "unit_id"), [
    (Force.POLICE, "Commissariat de police de Lyon 2e", "police-lyon-2e"),
    (Force.POLICE, "Hôtel de police de Lyon", "police-lyon"),
    (Force.POLICE, "Commissariat central d'Annecy", "police-annecy"),
    (Force.GENDARMERIE, "Brigade territoriale autonome de Florac", "gendarmerie-bta-florac"),
    (Force.GENDARMERIE, "Compagnie de gendarmerie départementale d'Annecy",
     "gendarmerie-cgd-annecy"),
    (Force.GENDARMERIE, "Communauté de brigades de Thônes", "gendarmerie-cob-thones"),
    (Force.POLICE, "Commissariat de police", None),
])
def test_unit_ids_come_from_names(force: Force, name: str, unit_id: str | None) -> None:
    assert unit_id_for(force, name) == unit_id
    assert unit_id is None or UNIT_ID.match(unit_id)


def test_a_long_name_still_makes_a_valid_id() -> None:
    unit_id = unit_id_for(Force.POLICE, "Commissariat de " + "Saint-Rémy-" * 12 + "la-Varenne")
    assert unit_id is not None and len(unit_id) <= 64 and UNIT_ID.match(unit_id)


def test_a_station_row_reads_and_writes_back() -> None:
    station = station_of(ROW)
    assert (station.id, station.force, station.insee) == (
        "gendarmerie-bta-florac", Force.GENDARMERIE, "48061")
    written = dict(zip(ROW, station_row(station), strict=True))
    assert station_of(written) == station


def test_published_spellings_are_accepted() -> None:
    row = {k: v for k, v in ROW.items() if k not in ("latitude", "longitude", "force")}
    row |= {"geocodage_y_gps": "44,324", "geocodage_x_gps": "3,593", "institution": "GN"}
    assert station_of(row).location == Location(44.324, 3.593)


@pytest.mark.parametrize(("change", "reason"), [
    ({"service": ""}, "service is missing"),
    ({"force": "Douanes"}, "force"),
    ({"code_commune_insee": "4806"}, ""),  # padded to 04806: fine
    ({"code_commune_insee": "ABCDE"}, "code_commune_insee"),
    ({"latitude": "north"}, "latitude"),
    ({"latitude": "14.6", "longitude": "-61.0"}, "outside metropolitan France"),
    ({"telephone": "call us"}, "telephone"),
    ({"code_postal": "4840"}, "code_postal"),
    ({"lundi": "8h-midi"}, "hours"),
    ({"commune": "x" * 201}, "too long"),
])
def test_bad_station_rows_say_why(change: dict[str, str], reason: str) -> None:
    row = ROW | change
    if not reason:
        assert station_of(row).insee == "04806"
        return
    with pytest.raises(RowError, match=reason):
        station_of(row)


def test_commune_rows() -> None:
    commune = commune_of({"code_commune_insee": "2A004", "nom_commune": "Ajaccio",
                          "competence": "PN"})
    assert (commune.force, commune.department, commune.centre) == (Force.POLICE, "2A", None)
    with pytest.raises(RowError, match="latitude and longitude go together"):
        commune_of({"insee": "48095", "commune": "Mende", "competence": "PN",
                    "latitude": "44.5"})
    assert missing_columns("competence", ["codgeo", "nom_commune"]) == ["competence"]


def _station(unit_id: str, force: Force, lat: float, lon: float, insee: str = "48095",
             department: str = "48") -> Station:
    row = station_of(ROW | {"latitude": str(lat), "longitude": str(lon),
                            "code_commune_insee": insee, "departement": department,
                            "force": force.value})
    return Station(unit_id, row.name, force, row.address, row.postcode, row.commune, insee,
                   department, row.phone, Location(lat, lon), row.hours)


MENDE = Commune("48095", "Mende", "48", Force.POLICE, Location(44.518, 3.501))
FLORAC = Commune("48061", "Florac", "48", Force.GENDARMERIE, Location(44.324, 3.593))
NO_CENTRE = Commune("48092", "Marvejols", "48", Force.GENDARMERIE, None)
DIRECTORY = Directory.of([MENDE, FLORAC, NO_CENTRE], [
    _station("police-mende", Force.POLICE, 44.519, 3.501),
    _station("gendarmerie-cgd-mende", Force.GENDARMERIE, 44.516, 3.495),
    _station("gendarmerie-bta-florac", Force.GENDARMERIE, 44.324, 3.593, "48061"),
    _station("police-lyon", Force.POLICE, 45.737, 4.868, "69123", "69"),
])


def test_a_position_goes_to_its_communes_force_and_nearest_stations() -> None:
    near_mende = DIRECTORY.competence_at(Location(44.51, 3.50), 3)
    assert near_mende is not None and near_mende.force is Force.POLICE
    assert [n.station.id for n in near_mende.stations] == ["police-mende"]  # Lyon: too far
    near_florac = DIRECTORY.competence_at(Location(44.33, 3.58), 3)
    assert near_florac is not None and near_florac.force is Force.GENDARMERIE
    assert [n.station.id for n in near_florac.stations] == [
        "gendarmerie-bta-florac", "gendarmerie-cgd-mende"]
    assert DIRECTORY.competence_at(Location(50.63, 3.06), 3) is None


def test_a_far_nearest_station_is_still_offered_alone() -> None:
    only_far = Directory.of([MENDE], [_station("police-lyon", Force.POLICE, 45.737, 4.868)])
    found = only_far.competence_at(Location(44.51, 3.50), 3)
    assert found is not None and [n.station.id for n in found.stations] == ["police-lyon"]


def test_a_commune_without_centre_uses_its_department() -> None:
    found = DIRECTORY.competence_in("48092", 5)
    assert found is not None and found.force is Force.GENDARMERIE
    assert [n.station.id for n in found.stations] == ["gendarmerie-bta-florac",
                                                      "gendarmerie-cgd-mende"]
    assert all(n.distance_km is None for n in found.stations)
    assert DIRECTORY.competence_in("13055", 3) is None


def test_two_stations_of_one_name_keep_apart() -> None:
    a = _station("police-centre", Force.POLICE, 44.5, 3.5, "48095")
    b = _station("police-centre", Force.POLICE, 45.7, 4.8, "69123")
    assert [s.id for s in with_unique_ids([a, b, b])] == ["police-centre",
                                                          "police-centre-69123"]


def test_open_now_of_a_station() -> None:
    station = DIRECTORY.stations["gendarmerie-bta-florac"]
    assert station.hours.is_open(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    assert not station.hours.is_open(datetime(2026, 12, 2, 21, 0, tzinfo=UTC))
