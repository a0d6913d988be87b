"""What an online complaint's citizen is told at each step of its handling, in French.

A complaint goes received → in review (an officer of the unit in charge opens it) →
needs information (the citizen answers, and it is in review again) → registered (its
receipt can be downloaded) or rejected → closed; each step adds one of these messages
to the case, from the gateway (author ``system``).
"""

from datetime import datetime

import msgspec

from rtc_gateway.domain.cases import Case, CaseKind, CaseStatus

_NOTICES = {
    CaseStatus.IN_REVIEW: "Votre plainte est en cours d'examen par un enquêteur.",
    CaseStatus.NEEDS_INFORMATION: "L'enquêteur a besoin de précisions pour traiter votre "
                                  "plainte. Répondez-lui par un message dans ce dossier.",
    CaseStatus.REGISTERED: "Votre plainte est enregistrée. Son récépissé est disponible "
                           "dans ce dossier.",
    CaseStatus.REJECTED: "Votre plainte n'a pas pu être enregistrée.",
    CaseStatus.CLOSED: "Votre dossier est clos.",
}


def complaint_notice(case: Case, reason: str | None) -> str | None:
    """The message a complaint's new status gives its citizen (the officer's reason, when
    there is one, follows it); ``None`` for other kinds, or a status with no notice."""
    if case.kind is not CaseKind.COMPLAINT:
        return None
    text = _NOTICES.get(case.status)
    if text is None:
        return None
    reason = (reason or "").strip()
    return f"{text} Motif : {reason}" if reason else text


def begin_review(case: Case, at: datetime) -> Case | None:
    """A received complaint once an officer of its unit opens it; ``None`` otherwise."""
    if case.kind is not CaseKind.COMPLAINT or case.status is not CaseStatus.RECEIVED:
        return None
    return msgspec.structs.replace(case, status=CaseStatus.IN_REVIEW, updated_at=at)
