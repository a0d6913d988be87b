"""The review desk's rules: one reviewer at a time on a case (a claim that expires),
and the four-eyes rule for validations above an amount."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from rtc_gateway.domain.errors import Conflict

CLAIM_TTL = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Claim:
    case_id: str
    reviewer_id: str
    expires_at: datetime

    def live(self, now: datetime) -> bool:
        return now < self.expires_at


@dataclass(frozen=True, slots=True)
class PendingValidation:
    """A first reviewer's validation of a case that needs a second one."""

    case_id: str
    reviewer_id: str
    at: datetime


def take_claim(held: Claim | None, case_id: str, reviewer_id: str, now: datetime,
               ttl: timedelta = CLAIM_TTL) -> Claim:
    """A claim for ``reviewer_id`` (renewed if it already holds it); 409 while another
    reviewer's claim is live."""
    if held is not None and held.live(now) and held.reviewer_id != reviewer_id:
        raise Conflict("another reviewer is handling this case")
    return Claim(case_id, reviewer_id, now + ttl)


def needs_second_reviewer(loss_eur: float, threshold_eur: float | None) -> bool:
    """Four-eyes: a validation above ``threshold_eur`` (``None``: never) waits for a
    second reviewer."""
    return threshold_eur is not None and loss_eur > threshold_eur


def check_second_reviewer(pending: PendingValidation, reviewer_id: str) -> None:
    if pending.reviewer_id == reviewer_id:
        raise Conflict("a second reviewer must confirm this validation")
