"""``POST /api/v1/conversations/{id}/export``: a supervisor or reviewer downloads the bundle.

Bearer agent token; body ``{"reason": "case reference", "include_media": true}``. The
export is itself recorded in the evidence log with who asked and why.
"""

import asyncio
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated

import msgspec
from aiohttp import web

from rtc_gateway.domain.errors import DomainError
from rtc_gateway.domain.roles import Role
from rtc_gateway.evidence.bundle import (
    ConversationNotFound,
    RecordingMissing,
    export_conversation,
)
from rtc_gateway.ports.blob_store import BlobFiles
from rtc_gateway.ports.evidence_archive import EvidenceArchive
from rtc_gateway.security.tokens import TokenAuthority

EXPORT_ROLES = frozenset({Role.SUPERVISOR, Role.REVIEWER})


class ExportRequest(msgspec.Struct):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    include_media: bool = True


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"ok": False, "error": {"code": code, "message": message}},
                             status=status)


def export_handler(
    log: EvidenceArchive, recordings_dir: Path, tokens: TokenAuthority,
    attachments: BlobFiles | None = None,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        try:
            profile = tokens.verify_agent(header.removeprefix("Bearer ").strip())
        except DomainError as error:
            return _error(401, error.code, error.message)
        if profile.role not in EXPORT_ROLES:
            return _error(403, "forbidden", "exports are for supervisors and reviewers")
        try:
            raw = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _error(413, "too_large", "the request body is too large")
        try:
            body = msgspec.json.decode(raw, type=ExportRequest)
        except msgspec.DecodeError as exc:
            return _error(400, "bad_request", str(exc))
        except RecursionError:
            return _error(400, "bad_request", "the request body is nested too deeply")
        conversation_id = request.match_info["conversation_id"]
        workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="export-"))
        out = workdir / f"evidence-{conversation_id}.zip"
        try:
            await export_conversation(log, recordings_dir, conversation_id, out,
                                      reason=body.reason, actor_role=profile.role.value,
                                      actor_id=profile.agent_id,
                                      include_media=body.include_media,
                                      attachments=attachments)
            payload = await asyncio.to_thread(out.read_bytes)
        except ConversationNotFound:
            return _error(404, "not_found", "no such conversation")
        except RecordingMissing as missing:
            return _error(409, "conflict", f"a recording of this conversation is missing "
                          f"({missing}); export with include_media false or restore it")
        finally:
            await asyncio.to_thread(shutil.rmtree, workdir, True)
        return web.Response(body=payload, content_type="application/zip", headers={
            "Content-Disposition": f'attachment; filename="evidence-{conversation_id}.zip"',
            "Cache-Control": "no-store",
        })

    return handler
