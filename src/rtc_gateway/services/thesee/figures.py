"""The desk's figures, for supervisors (and reviewers)."""

from typing import Any

from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.errors import Forbidden
from rtc_gateway.domain.roles import Role
from rtc_gateway.domain.thesee.figures import desk_figures
from rtc_gateway.domain.thesee.series import all_series
from rtc_gateway.ports.clock import Clock
from rtc_gateway.ports.thesee_store import TheseeStore


class DeskFigures:
    def __init__(self, store: TheseeStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def figures(self, staff: AgentProfile) -> dict[str, Any]:
        if staff.role not in (Role.SUPERVISOR, Role.REVIEWER):
            raise Forbidden("the desk's figures are for supervisors and reviewers")
        summaries = await self._store.summaries()
        series = all_series(await self._store.pairs(), (s.case_id for s in summaries))
        return desk_figures(summaries, series, self._clock.now())
