"""``/api/v1/cases/{id}/attachments``: upload (multipart), list and download.

Downloads are served with the type recognised at upload (JPEG, PNG or PDF, never one a
browser would run), ``nosniff``, ``Content-Disposition: attachment`` and a sandboxing
CSP, so a file is saved, not rendered in the gateway's origin.
"""

from dataclasses import dataclass

from aiohttp import web

from rtc_gateway.domain.attachments import is_sha256
from rtc_gateway.domain.errors import NotFound
from rtc_gateway.gateway import case_schemas as schemas
from rtc_gateway.gateway.attachment_limits import UploadLimits
from rtc_gateway.gateway.attachment_upload import read_upload
from rtc_gateway.gateway.case_callers import Callers
from rtc_gateway.gateway.case_routes import (
    NO_STORE,
    attachment_view,
    identity_of,
    json_response,
    refusals,
)
from rtc_gateway.services.cases.attachments import AttachmentService

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "application/pdf": "pdf"}
DOWNLOAD_HEADERS = {**NO_STORE, "X-Content-Type-Options": "nosniff",
                    "Content-Security-Policy": "default-src 'none'; sandbox",
                    "Cross-Origin-Resource-Policy": "same-origin"}


@dataclass(frozen=True)
class AttachmentRoutes:
    attachments: AttachmentService
    callers: Callers
    limits: UploadLimits

    def add_to(self, app: web.Application) -> None:
        path = "/api/v1/cases/{case_id}/attachments"
        app.router.add_post(path, refusals(self.upload))
        app.router.add_get(path, refusals(self.listing))
        app.router.add_get(path + "/{sha256}", refusals(self.download))

    async def upload(self, request: web.Request) -> web.Response:
        caller = await self.callers.any(request)
        self.limits.admit(identity_of(caller), request.remote)
        case_id = request.match_info["case_id"]
        await self.attachments.check(caller, case_id)
        upload = await read_upload(request, self.attachments.policy.max_bytes,
                                   self.attachments.receive, self.attachments.discard)
        _, meta = await self.attachments.attach(caller, case_id, upload.staged,
                                                upload.strip_metadata)
        return json_response(attachment_view(meta), status=201)

    async def listing(self, request: web.Request) -> web.Response:
        caller = await self.callers.any(request)
        found = await self.attachments.listed(caller, request.match_info["case_id"])
        return json_response(schemas.AttachmentList([attachment_view(a) for a in found]))

    async def download(self, request: web.Request) -> web.Response:
        caller = await self.callers.any(request)
        sha256 = request.match_info["sha256"]
        if not is_sha256(sha256):
            raise NotFound("no such attachment")
        meta, path = await self.attachments.file(caller, request.match_info["case_id"], sha256)
        name = f"{sha256[:16]}.{EXTENSIONS[meta.content_type]}"
        response = web.FileResponse(path, headers={
            **DOWNLOAD_HEADERS, "Content-Type": meta.content_type,
            "Content-Disposition": f'attachment; filename="{name}"'})
        return response  # type: ignore[return-value]
