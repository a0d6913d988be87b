"""Unit ids: ``FORCE-NAME`` in lower-case ASCII (``police-lyon-2e``,
``gendarmerie-bta-florac``), whose first part names the force.

A station of the directory gets its id from its name (``unit_id_for``): the force's
generic words are dropped and the gendarmerie's usual unit kinds abbreviated, so the
id stays the same from one import of the national file to the next. Cases, staff
tokens and appointments keep unit ids; ``/api/v1/units`` hands them out.
"""

import re
import unicodedata
from dataclasses import dataclass

from rtc_gateway.domain.conversation import Location
from rtc_gateway.domain.errors import BadRequest
from rtc_gateway.domain.forces import Force

UNIT_ID = re.compile(r"^(police|gendarmerie)-[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_UNIT_ID_CHARS = 64
INSEE_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")

GENERIC = {
    Force.POLICE: ("commissariat de police", "commissariat central", "hotel de police",
                   "bureau de police", "poste de police", "commissariat", "police nationale"),
    Force.GENDARMERIE: ("gendarmerie nationale",),
}
ABBREVIATIONS = (
    ("brigade territoriale autonome", "bta"), ("brigade territoriale de contact", "btc"),
    ("brigade de proximite", "bp"), ("communaute de brigades", "cob"),
    ("compagnie de gendarmerie departementale", "cgd"), ("brigade de recherches", "br"),
    ("brigade de gendarmerie", "bg"), ("brigade territoriale", "bt"),
    ("brigade motorisee", "bmo"), ("peloton de gendarmerie de haute montagne", "pghm"),
)
STOP_WORDS = frozenset({"de", "du", "des", "d", "la", "le", "l", "les", "et", "a", "au"})


def force_of_unit(unit_id: str) -> Force:
    """The force a unit id names; 400 when it is not a unit id."""
    if len(unit_id) > MAX_UNIT_ID_CHARS or not UNIT_ID.match(unit_id):
        raise BadRequest("unit_id must look like police-NAME or gendarmerie-NAME")
    return Force(unit_id.split("-", 1)[0])


def slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")


def unit_id_for(force: Force, name: str) -> str | None:
    """The id of a station called ``name``; ``None`` when nothing of the name is left."""
    words = " ".join(slug(name).split("-"))
    for generic in GENERIC[force]:
        words = re.sub(rf"\b{generic}\b", " ", words)
    for long, short in ABBREVIATIONS:
        words = re.sub(rf"\b{long}\b", short, words)
    kept = [w for w in words.split() if w not in STOP_WORDS]
    if not kept:
        return None
    unit_id = f"{force.value}-{'-'.join(kept)}"[:MAX_UNIT_ID_CHARS].rstrip("-")
    return unit_id if UNIT_ID.match(unit_id) else None


@dataclass(frozen=True, slots=True)
class UnitChoice:
    """What a citizen said about the unit: a unit id, or the place of the facts."""

    unit_id: str | None = None
    location: Location | None = None
    commune: str | None = None
