"""Abuse: an officer marks a conversation abusive; its source is blocked for a while.

The source is the conversation's citizen identity and the address it was opened from.
A blocked identity can neither connect nor open. From a blocked address nothing but a
discreet alert is opened, by any identity, new ones included: people who share the
address (a household, a carrier-grade NAT) must still be able to raise the alarm even
if they never used the service before (a victim living with the abuser), and their
alerts stay under the per-address cap and the anonymous quota. Blocks live in memory
and end with their time (or a restart); the report itself is an evidence record.
"""

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Protocol

from rtc_gateway.domain.addresses import address_key
from rtc_gateway.domain.blocks import BlockList
from rtc_gateway.domain.conversation import Conversation
from rtc_gateway.domain.errors import Conflict, Forbidden, RateLimited, Unavailable
from rtc_gateway.domain.roles import Actor, Role
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.evidence_log import EvidenceEntry, EvidenceLog, RecordKind
from rtc_gateway.services.limit_log import LimitLog

log = logging.getLogger(__name__)

ABUSIVE = "abusive"
"""The ``reason`` of a conversation closed as abusive."""


class AbuseMetrics(Protocol):
    def abuse_reported(self) -> None: ...


class Closer(Protocol):
    def get_for(self, actor: Actor, conversation_id: str) -> Conversation: ...

    def close(self, actor: Actor, conversation_id: str,
              reason: str | None = None) -> Awaitable[tuple[Conversation, str]]: ...


class AbuseService:
    def __init__(self, *, conversations: Closer, evidence: EvidenceLog, clock: Clock,
                 address_of: Callable[[str], str | None], block_s: float,
                 metrics: AbuseMetrics, trips: LimitLog) -> None:
        self._conversations = conversations
        self._evidence = evidence
        self._clock = clock
        self._address_of = address_of
        self._block_s = block_s
        self._metrics = metrics
        self._trips = trips
        self.identities = BlockList()
        self.addresses = BlockList()
        self.on_identity_blocked: Callable[[str], None] = _nobody_to_end
        """Told a blocked citizen identity, so that its live connections end."""

    # --- checks ---------------------------------------------------------------

    def check_identity(self, citizen_id: str) -> None:
        until = self.identities.blocked_until(citizen_id, self._clock.monotonic())
        if until is not None:
            self._trips.tripped("blocked_identity", identity=citizen_id)
            raise Forbidden(f"this identity is blocked after abuse until {self._wall(until)}")

    def check_open(self, citizen_id: str, remote: str, discreet: bool) -> None:
        self.check_identity(citizen_id)
        if not discreet:
            address = address_key(remote)
            until = self.addresses.blocked_until(address, self._clock.monotonic())
            if until is not None:
                self._trips.tripped("blocked_address", address=address)
                raise RateLimited("only discreet alerts are taken from this address until "
                                  f"{self._wall(until)} (abuse)")

    # --- report ---------------------------------------------------------------

    async def report(self, actor: Actor, conversation_id: str,
                     reason: str | None) -> Conversation:
        if actor.role not in (Role.AGENT, Role.SUPERVISOR):
            raise Forbidden("only the assigned agent or a supervisor reports abuse")
        conversation = self._conversations.get_for(actor, conversation_id)
        if not conversation.is_open:
            raise Conflict("conversation is already closed")
        address = self._address_of(conversation.id)
        now = self._clock.monotonic()
        until = now + self._block_s
        self.identities.forget_expired(now)
        self.addresses.forget_expired(now)
        self.identities.block(conversation.citizen_id, until)
        if address is not None:
            self.addresses.block(address, until)
        blocked_until = self._wall(until)
        written = self._evidence.append(EvidenceEntry(
            conversation_id=conversation.id, kind=RecordKind.ABUSE_REPORTED,
            actor_role=actor.role.value, actor_id=actor.id, at=self._clock.now(),
            data={"citizen_id": conversation.citizen_id, "address": address,
                  "blocked_until": blocked_until, "reason": reason or ""}))
        try:
            await written
        except Exception as exc:
            raise Unavailable("the evidence log cannot record right now; retry") from exc
        closed, _reason = await self._conversations.close(actor, conversation.id, ABUSIVE)
        self.on_identity_blocked(conversation.citizen_id)
        self._metrics.abuse_reported()
        log.warning("abuse reported", extra={
            "conversation_id": conversation.id, "citizen_id": conversation.citizen_id,
            "reported_by": actor.id, "address": address or "unknown",
            "blocked_until": blocked_until})
        return closed

    def blocked_counts(self) -> dict[str, int]:
        now = self._clock.monotonic()
        return {"identity": sum(1 for _ in self.identities.active(now)),
                "address": sum(1 for _ in self.addresses.active(now))}

    def _wall(self, monotonic_deadline: float) -> str:
        remaining = max(0.0, monotonic_deadline - self._clock.monotonic())
        return format_utc(self._clock.now() + timedelta(seconds=remaining))


def _nobody_to_end(_citizen_id: str) -> None:
    pass
