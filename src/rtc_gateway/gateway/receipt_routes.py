"""``GET /api/v1/cases/{case_id}/receipt``: a registered complaint's receipt as a PDF,
for its citizen and the staff in charge of it."""

import asyncio
from dataclasses import dataclass

from aiohttp import web

from rtc_gateway.gateway.case_callers import Callers
from rtc_gateway.gateway.case_limits import CaseWriteLimits
from rtc_gateway.gateway.case_routes import NO_STORE, identity_of, refusals
from rtc_gateway.services.cases.receipt_document import filename, render_receipt
from rtc_gateway.services.cases.receipts import Receipts


@dataclass(frozen=True)
class ReceiptRoutes:
    receipts: Receipts
    callers: Callers
    limits: CaseWriteLimits
    """A receipt is rendered on each request: it counts as a case write."""

    def add_to(self, app: web.Application) -> None:
        app.router.add_get("/api/v1/cases/{case_id}/receipt", refusals(self.receipt))

    async def receipt(self, request: web.Request) -> web.Response:
        caller = await self.callers.any(request)
        self.limits.admit(identity_of(caller), request.remote)
        receipt = await self.receipts.of(caller, request.match_info["case_id"])
        body = await asyncio.to_thread(render_receipt, receipt)
        return web.Response(body=body, content_type="application/pdf", headers={
            **NO_STORE, "Content-Disposition": f'attachment; filename="{filename(receipt)}"'})
