"""The appointment of a pre-complaint: when the citizen comes to sign it in person.

A unit's appointments are taken within its opening (until the units' directory gives
each unit its own hours, every unit has :data:`DEFAULT_OPENING`, Paris time), on a
quarter hour, from one hour ahead to :data:`MAX_AHEAD` ahead. A pre-complaint whose
appointment passed more than :data:`PURGE_AFTER` ago without being honoured (the unit
closes the case once the citizen has signed) is purged.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rtc_gateway.domain.cases import Case, CaseKind, CaseStatus, Decision
from rtc_gateway.domain.errors import BadRequest

PARIS = ZoneInfo("Europe/Paris")
DEFAULT_OPENING: Mapping[int, tuple[tuple[time, time], ...]] = {
    weekday: ((time(9, 0), time(12, 0)), (time(14, 0), time(18, 0)))
    for weekday in range(5)
} | {5: ((time(9, 0), time(12, 0)),)}
"""Monday to Friday 9:00-12:00 and 14:00-18:00, Saturday 9:00-12:00 (``weekday()``)."""
MIN_AHEAD = timedelta(hours=1)
MAX_AHEAD = timedelta(days=90)
PURGE_AFTER = timedelta(days=30)
SLOT_MINUTES = 15

_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre")


def within_opening(at: datetime,
                   opening: Mapping[int, tuple[tuple[time, time], ...]] = DEFAULT_OPENING
                   ) -> bool:
    """``at`` starts a quarter-hour slot that ends before the unit closes."""
    local = at.astimezone(PARIS)
    if local.minute % SLOT_MINUTES or local.second or local.microsecond:
        return False
    start = local.time().replace(tzinfo=None)
    end = (local + timedelta(minutes=SLOT_MINUTES)).time().replace(tzinfo=None)
    return any(opens <= start and end <= closes and start < end
               for opens, closes in opening.get(local.weekday(), ()))


def check_appointment(at: datetime, now: datetime) -> datetime:
    """``at`` if a citizen may be given it now; 400 otherwise."""
    if at.tzinfo is None:
        raise BadRequest("appointment_at needs a time zone")
    if at < now + MIN_AHEAD:
        raise BadRequest("appointment_at must be at least one hour ahead")
    if at > now + MAX_AHEAD:
        raise BadRequest("appointment_at must be within 90 days")
    if not within_opening(at):
        raise BadRequest("appointment_at must be a quarter hour within the unit's opening "
                         "(Monday to Friday 9:00-12:00 and 14:00-18:00, Saturday "
                         "9:00-12:00, Paris time)")
    return at


def in_french(at: datetime) -> str:
    """``jeudi 3 décembre 2026 à 10 h 15 (heure de Paris)``."""
    local = at.astimezone(PARIS)
    return (f"{_WEEKDAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} "
            f"{local.year} à {local.hour} h {local.minute:02d} (heure de Paris)")


BRING = ("Présentez-vous à l'accueil avec une pièce d'identité et la référence de votre "
         "pré-plainte pour la signer.")


def confirmed_message(at: datetime | None) -> str:
    if at is None:
        return "Votre pré-plainte est confirmée ; l'unité vous proposera un rendez-vous."
    return f"Votre rendez-vous est confirmé le {in_french(at)}. {BRING}"


def rescheduled_message(at: datetime | None, reason: str | None) -> str:
    why = f" Motif : {reason.strip()}." if reason and reason.strip() else ""
    if at is None:
        return (f"Votre rendez-vous ne peut pas être maintenu.{why} L'unité vous proposera "
                "une autre date.")
    return f"Votre rendez-vous est déplacé au {in_french(at)}.{why} {BRING}"


def purge_due(case: Case, now: datetime) -> bool:
    """A pre-complaint not honoured (not closed by its unit) :data:`PURGE_AFTER` after its
    appointment, or after its filing when it never had one."""
    if case.kind is not CaseKind.PRE_COMPLAINT or case.status is CaseStatus.CLOSED:
        return False
    return (case.appointment_at or case.created_at) + PURGE_AFTER <= now


@dataclass(frozen=True, slots=True)
class AppointmentNotice:
    at: datetime | None
    """The appointment from now on; ``None``: the unit will propose another one."""
    text: str


def appointment_notice(case: Case, decision: Decision, reason: str | None,
                       proposed: datetime | None, now: datetime) -> AppointmentNotice | None:
    """What a decision does to a pre-complaint's appointment, and the message that tells
    the citizen: ``confirm`` keeps it (or sets ``proposed``), ``reschedule`` moves it to
    ``proposed`` (without one, the unit will propose a date later). 400 for an
    ``appointment_at`` another kind or decision has no use for."""
    if case.kind is not CaseKind.PRE_COMPLAINT or decision not in (Decision.CONFIRM,
                                                                   Decision.RESCHEDULE):
        if proposed is not None:
            raise BadRequest("appointment_at goes with confirm or reschedule of a "
                             "pre-complaint")
        return None
    if proposed is not None:
        check_appointment(proposed, now)
    if decision is Decision.RESCHEDULE:
        at = proposed.astimezone(UTC) if proposed is not None else None
        return AppointmentNotice(at, rescheduled_message(at, reason))
    at = (proposed or case.appointment_at)
    at = at.astimezone(UTC) if at is not None else None
    return AppointmentNotice(at, confirmed_message(at))
