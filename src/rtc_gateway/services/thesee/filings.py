"""Filing a THESEE case: a complaint (verified citizens only) or a report (anyone),
straight away or from a draft saved earlier and completed later."""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from rtc_gateway.domain import cases as rules
from rtc_gateway.domain.case_access import CitizenCaller
from rtc_gateway.domain.cases import Case, CaseKind
from rtc_gateway.domain.errors import Conflict, Forbidden, NotFound
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.thesee.drafts import MAX_DRAFTS_PER_CITIZEN, Draft, owned
from rtc_gateway.domain.thesee.filing import (
    Filing,
    Identifiers,
    Mode,
    build_filing,
    complemented,
    facts_of,
)
from rtc_gateway.domain.thesee.scam_types import Payment, parse_scam_type
from rtc_gateway.domain.units import UnitChoice
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.thesee_store import TheseeStore
from rtc_gateway.services.cases.cases import CaseService
from rtc_gateway.services.thesee.desk import TheseeRecord

_facts_text = msgspec.json.Encoder(order="sorted").encode
NATIONAL_DESK: tuple[Force, str | None] = (Force.POLICE, None)
"""Where a case goes when the victim gives no place and no unit: the national desk."""


@dataclass(frozen=True, slots=True)
class FilingInput:
    """A filing as the gateway decoded it (types checked, meaning not yet)."""

    scam_type: str
    mode: Mode
    description: str
    identifiers: Identifiers
    payments: list[Payment]
    details: Any
    unit: UnitChoice


def _ids(citizen: CitizenCaller) -> frozenset[str]:
    return citizen.also | {citizen.citizen_id}


class TheseeFilings:
    def __init__(self, cases: CaseService, store: TheseeStore, clock: Clock,
                 parse: Callable[[Mapping[str, Any]], FilingInput]) -> None:
        self._cases = cases
        self._store = store
        self._clock = clock
        self._parse = parse
        """Decodes a draft's body as the request of :meth:`file` would be."""

    async def file(self, citizen: CitizenCaller, given: FilingInput) -> Case:
        if given.mode is Mode.COMPLAINT and not citizen.verified:
            raise Forbidden("a THESEE complaint needs a verified identity (FranceConnect); "
                            "an anonymous report is possible")
        filing = self._check(given)
        placed = None if (given.unit.unit_id or given.unit.location or given.unit.commune) \
            else NATIONAL_DESK
        return await self._cases.open(citizen, CaseKind.THESEE, facts_of(filing),
                                      given.unit, placed=placed)

    def _check(self, given: FilingInput) -> Filing:
        return build_filing(parse_scam_type(given.scam_type), given.mode, given.description,
                            given.identifiers, given.payments, given.details,
                            self._clock.now().date())

    async def complete(self, citizen: CitizenCaller, case_id: str, text: str,
                       identifiers: Identifiers, payments: list[Payment]) -> Case:
        """The citizen adds a message and, optionally, identifiers and payments to their
        case; a case waiting for information goes back in review, and its links follow
        the new identifiers at once."""
        async with self._cases.lock(case_id):
            case = await self._cases.get(citizen, case_id)
            if case.kind is not CaseKind.THESEE:
                raise NotFound("no such THESEE case")
            if case.is_final:
                raise Conflict(f"the case is {case.status.value}")
            now = self._clock.now()
            facts = complemented(case.facts, identifiers, payments, now.date())
            changed = rules.add_message(msgspec.structs.replace(case, facts=facts),
                                        Role.CITIZEN.value, text, now)
            added = {"message": text, "identifiers": msgspec.to_builtins(identifiers),
                     "payments": msgspec.to_builtins(payments)}
            await self._cases.save(citizen, changed, TheseeRecord.COMPLETED, {
                "seq": changed.messages[-1].seq, "status": changed.status.value,
                "previous_status": case.status.value,
                "declared_loss_eur": facts["declared_loss_eur"]},
                text=_facts_text(added).decode())
            return changed

    async def save_draft(self, citizen: CitizenCaller, body: dict[str, Any],
                         draft_id: str | None = None) -> Draft:
        now = self._clock.now()
        if draft_id is None:
            if len(await self._store.drafts_of(_ids(citizen))) >= MAX_DRAFTS_PER_CITIZEN:
                raise Conflict(f"at most {MAX_DRAFTS_PER_CITIZEN} drafts: submit or delete one")
            draft = Draft(str(uuid.uuid4()), citizen.citizen_id, now, now, body)
        else:
            old = owned(await self._store.draft(draft_id), _ids(citizen))
            draft = Draft(old.id, old.citizen_id, old.created_at, now, body)
        await self._store.put_draft(draft)
        return draft

    async def draft(self, citizen: CitizenCaller, draft_id: str) -> Draft:
        return owned(await self._store.draft(draft_id), _ids(citizen))

    async def drafts(self, citizen: CitizenCaller) -> list[Draft]:
        return await self._store.drafts_of(_ids(citizen))

    async def delete_draft(self, citizen: CitizenCaller, draft_id: str) -> None:
        owned(await self._store.draft(draft_id), _ids(citizen))
        await self._store.delete_draft(draft_id)

    async def submit_draft(self, citizen: CitizenCaller, draft_id: str) -> Case:
        draft = owned(await self._store.draft(draft_id), _ids(citizen))
        case = await self.file(citizen, self._parse(draft.body))
        await self._store.delete_draft(draft_id)
        return case
