"""Complaints outside the walls (plainte hors les murs): officers meet a victim who
cannot come to the unit at a third party's place (a friend's, a doctor's, an
association's), within the victim's time windows and under their safety constraints.

Discreet mode (the default) means the victim's own views say nothing of what the
request is about: a reference and a neutral status line only.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from rtc_gateway.domain.cases import CaseStatus
from rtc_gateway.domain.errors import BadRequest

OUTCOMES = ("complaint_taken", "victim_absent", "visit_unsafe", "victim_declined")
"""How a visit ended; each closes the request."""

NEUTRAL_STATUS = {
    CaseStatus.RECEIVED: "Votre demande est reçue.",
    CaseStatus.ACCEPTED: "Votre demande est prise en charge.",
    CaseStatus.PLANNED: "Un rendez-vous est fixé.",
    CaseStatus.CLOSED: "Votre demande est terminée.",
    CaseStatus.WITHDRAWN: "Votre demande est annulée.",
}
"""What a discreet request shows its victim: nothing of the facts, the place or the
visit (someone may be looking over their shoulder)."""


def neutral_status(status: CaseStatus) -> str:
    return NEUTRAL_STATUS.get(status, "Votre demande est en cours.")


def check_visit_time(windows: list[Mapping[str, Any]], at: datetime) -> None:
    """400 unless ``at`` falls in one of the victim's time windows."""
    for window in windows:
        start = datetime.fromisoformat(str(window["start"]))
        end = datetime.fromisoformat(str(window["end"]))
        if start <= at <= end:
            return
    raise BadRequest("the visit must fall within one of the victim's time windows")
