"""Rows of the national open-data files, read into the directory's records.

Two files, semicolon- or comma-separated, with a header row (column names are matched
case-insensitively, and a few spellings of the published files are accepted):

- stations open to the public (``stations``): ``service`` (the name), ``force``
  (``Police nationale``/``Gendarmerie nationale``, ``PN``/``GN``), ``telephone``,
  ``adresse_geographique``, ``code_postal``, ``commune``, ``code_commune_insee``,
  ``departement``, ``latitude``, ``longitude`` and one column per day, ``lundi`` to
  ``dimanche`` (see ``domain.opening_hours``);
- the competence by commune (``competence``): ``code_commune_insee``, ``nom_commune``,
  ``departement``, ``competence`` (``PN``/``GN``, ``police``/``gendarmerie``) and,
  optionally, the centre's ``latitude`` and ``longitude``.

Each function raises ``RowError`` with the reason a row cannot be used.
"""

import re
from collections.abc import Mapping

from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.directory import Commune, Station
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.opening_hours import DAYS_FR, HoursError, parse_week
from rtc_gateway.domain.units import INSEE_CODE, unit_id_for

ALIASES: dict[str, tuple[str, ...]] = {
    "service": ("service", "nom", "libelle", "nom_unite", "unite"),
    "force": ("force", "institution", "type_service"),
    "telephone": ("telephone", "tel", "téléphone"),
    "adresse_geographique": ("adresse_geographique", "adresse", "voie"),
    "code_postal": ("code_postal", "cp"),
    "commune": ("commune", "nom_commune", "ville"),
    "code_commune_insee": ("code_commune_insee", "code_insee", "insee", "codgeo"),
    "departement": ("departement", "département", "code_departement", "dep"),
    "latitude": ("latitude", "lat", "geocodage_y_gps"),
    "longitude": ("longitude", "lon", "lng", "geocodage_x_gps"),
    "competence": ("competence", "compétence", "zone", "force"),
}
POLICE_WORDS = frozenset({"pn", "police", "police nationale", "dgpn", "prefecture de police",
                          "pp", "zpn"})
GENDARMERIE_WORDS = frozenset({"gn", "gendarmerie", "gendarmerie nationale", "dggn", "zgn"})
_PHONE = re.compile(r"^\+?[0-9 .()-]{4,20}$")
_POSTCODE = re.compile(r"^(?:\d{5})$")
_DEPARTMENT = re.compile(r"^(?:\d{2,3}|2[AB])$")
MAX_TEXT = 200
METROPOLE = (41.0, 51.5, -5.5, 10.0)
"""Latitude and longitude bounds of metropolitan France and Corsica: the hours are
Europe/Paris times, so stations elsewhere are refused rather than told open wrongly."""


class RowError(ValueError):
    """Why a row is skipped."""


def field(row: Mapping[str, str], name: str, required: bool = True) -> str:
    for alias in ALIASES.get(name, (name,)):
        value = row.get(alias)
        if value is not None and value.strip():
            return value.strip()
    if required:
        raise RowError(f"{name} is missing")
    return ""


def _text(row: Mapping[str, str], name: str, required: bool = True) -> str:
    value = field(row, name, required)
    if len(value) > MAX_TEXT or any(ord(ch) < 32 for ch in value):
        raise RowError(f"{name} is too long or holds control characters")
    return value


def force_of(text: str) -> Force:
    word = text.strip().lower().replace("é", "e")
    if word in POLICE_WORDS or word.startswith("police"):
        return Force.POLICE
    if word in GENDARMERIE_WORDS or word.startswith("gendarmerie"):
        return Force.GENDARMERIE
    raise RowError(f"force {text[:40]!r} is not PN, GN, police or gendarmerie")


def _insee(row: Mapping[str, str]) -> str:
    code = field(row, "code_commune_insee").upper()
    if len(code) == 4 and code.isdigit():
        code = "0" + code
    if not INSEE_CODE.match(code):
        raise RowError(f"code_commune_insee {code[:12]!r} is not an INSEE code")
    return code


def _department(row: Mapping[str, str], insee: str) -> str:
    value = field(row, "departement", required=False).upper() or insee[:2]
    if len(value) == 1 and value.isdigit():
        value = "0" + value
    if not _DEPARTMENT.match(value):
        raise RowError(f"departement {value[:12]!r} is not a department code")
    return value


def _coordinate(row: Mapping[str, str], name: str, required: bool) -> float | None:
    raw = field(row, name, required)
    if not raw:
        return None
    try:
        return float(raw.replace(",", "."))
    except ValueError:
        raise RowError(f"{name} {raw[:20]!r} is not a number") from None


def location_of(row: Mapping[str, str], required: bool) -> Location | None:
    lat = _coordinate(row, "latitude", required)
    lon = _coordinate(row, "longitude", required)
    if lat is None or lon is None:
        if lat is not None or lon is not None:
            raise RowError("latitude and longitude go together")
        return None
    south, north, west, east = METROPOLE
    if not (south <= lat <= north and west <= lon <= east):
        raise RowError(f"latitude/longitude ({lat}, {lon}) is outside metropolitan France")
    return Location(lat, lon)


def station_of(row: Mapping[str, str]) -> Station:
    name = _text(row, "service")
    force = force_of(field(row, "force"))
    insee = _insee(row)
    phone = _text(row, "telephone", required=False)
    if phone and not _PHONE.match(phone):
        raise RowError(f"telephone {phone[:20]!r} is not a phone number")
    postcode = field(row, "code_postal", required=False)
    if postcode and not _POSTCODE.match(postcode):
        raise RowError(f"code_postal {postcode[:12]!r} is not a postcode")
    location = location_of(row, required=True)
    assert location is not None
    try:
        hours = parse_week(tuple(row.get(day, "") or "" for day in DAYS_FR))
    except HoursError as error:
        raise RowError(f"hours: {error}") from None
    unit_id = unit_id_for(force, name)
    if unit_id is None:
        raise RowError(f"service {name[:40]!r} leaves nothing to make a unit id of")
    return Station(id=unit_id, name=name, force=force,
                   address=_text(row, "adresse_geographique"), postcode=postcode,
                   commune=_text(row, "commune"), insee=insee,
                   department=_department(row, insee), phone=phone, location=location,
                   hours=hours)


def commune_of(row: Mapping[str, str]) -> Commune:
    insee = _insee(row)
    return Commune(insee=insee, name=_text(row, "commune"),
                   department=_department(row, insee),
                   force=force_of(field(row, "competence")),
                   centre=location_of(row, required=False))


STATION_COLUMNS = ("service", "force", "telephone", "adresse_geographique", "code_postal",
                   "commune", "code_commune_insee", "departement", "latitude", "longitude",
                   *DAYS_FR)
COMMUNE_COLUMNS = ("code_commune_insee", "nom_commune", "departement", "competence",
                   "latitude", "longitude")
REQUIRED = {"stations": ("service", "force", "code_commune_insee", "adresse_geographique",
                         "commune", "latitude", "longitude"),
            "competence": ("code_commune_insee", "commune", "competence")}
FORCE_LABELS = {Force.POLICE: "Police nationale", Force.GENDARMERIE: "Gendarmerie nationale"}


def missing_columns(kind: str, header: list[str]) -> list[str]:
    """The required columns a header has under none of their accepted names."""
    present = set(header)
    return [name for name in REQUIRED[kind]
            if not present.intersection(ALIASES.get(name, (name,)))]


def station_row(station: Station) -> tuple[str, ...]:
    days = tuple(",".join(ranges) for ranges in station.hours.wire().values())
    return (station.name, FORCE_LABELS[station.force], station.phone, station.address,
            station.postcode, station.commune, station.insee, station.department,
            f"{station.location.lat:.6f}", f"{station.location.lon:.6f}", *days)


def commune_row(commune: Commune) -> tuple[str, ...]:
    centre = commune.centre
    return (commune.insee, commune.name, commune.department,
            "PN" if commune.force is Force.POLICE else "GN",
            "" if centre is None else f"{centre.lat:.6f}",
            "" if centre is None else f"{centre.lon:.6f}")
