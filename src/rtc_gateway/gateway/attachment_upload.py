"""Reads a ``multipart/form-data`` attachment upload with aiohttp's multipart reader.

Fields: ``file`` (exactly one; streamed straight to the blob store, so no more than the
size cap is ever held) and optionally ``strip_metadata`` (``true``/``false``). Anything
else, or a body that is not well-formed multipart, is a 400; another content type a 415.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from rtc_gateway.domain.attachments import UnsupportedType
from rtc_gateway.domain.errors import BadRequest, TooLarge
from rtc_gateway.ports.blob_store import StagedBlob

MULTIPART_OVERHEAD = 64 * 1024
"""Bytes a request may carry past the file cap: boundaries, part heads, small fields."""
MAX_PARTS = 4
CHUNK_BYTES = 64 * 1024
TRUE_WORDS = frozenset({"true", "1", "on", "yes"})
FALSE_WORDS = frozenset({"false", "0", "off", "no", ""})
PLAIN_ENCODINGS = frozenset({"binary", "7bit", "8bit"})
MALFORMED = (ValueError, AssertionError, RuntimeError, HttpProcessingError, EOFError,
             UnicodeDecodeError)

Receive = Callable[[AsyncIterator[bytes]], Awaitable[StagedBlob]]
Discard = Callable[[StagedBlob], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Upload:
    staged: StagedBlob
    strip_metadata: bool


async def read_upload(request: web.Request, max_bytes: int, receive: Receive,
                      discard: Discard) -> Upload:
    if request.content_type != "multipart/form-data":
        raise UnsupportedType("the body must be multipart/form-data with a field 'file'")
    if (request.content_length is not None
            and request.content_length > max_bytes + MULTIPART_OVERHEAD):
        raise TooLarge(f"the file is over {max_bytes} bytes")
    files: list[StagedBlob] = []
    try:
        strip = await _read_parts(request, receive, files)
        if not files:
            raise BadRequest("the multipart field 'file' is missing")
    except BaseException as error:
        for staged in files:
            await discard(staged)
        if isinstance(error, MALFORMED):
            raise BadRequest("the body is not well-formed multipart/form-data") from None
        raise
    return Upload(files[0], strip)


async def _read_parts(request: web.Request, receive: Receive,
                      files: list[StagedBlob]) -> bool:
    """Stage the file into ``files``; the ``strip_metadata`` flag."""
    reader = await request.multipart()
    strip = False
    for _ in range(MAX_PARTS + 1):
        part = await reader.next()
        if part is None:
            return strip
        if not isinstance(part, BodyPartReader):
            raise BadRequest("nested multipart bodies are not accepted")
        _check_encoding(part)
        if part.name == "file":
            if files:
                raise BadRequest("one file per request")
            files.append(await receive(_chunks(part)))
        elif part.name == "strip_metadata":
            strip = await _flag(part)
        else:
            raise BadRequest(f"unknown field {str(part.name)[:40]!r}: "
                             "expected 'file' and 'strip_metadata'")
    raise BadRequest(f"at most {MAX_PARTS} fields")


def _check_encoding(part: BodyPartReader) -> None:
    encoding = part.headers.get("Content-Transfer-Encoding", "binary").lower()
    if encoding not in PLAIN_ENCODINGS or "Content-Encoding" in part.headers:
        raise BadRequest("a field must be sent as plain bytes (no transfer encoding)")


async def _chunks(part: BodyPartReader) -> AsyncIterator[bytes]:
    while chunk := await part.read_chunk(CHUNK_BYTES):
        yield chunk


async def _flag(part: BodyPartReader) -> bool:
    value = b""
    while chunk := await part.read_chunk(CHUNK_BYTES):
        value += chunk
        if len(value) > 16:
            raise BadRequest("strip_metadata must be true or false")
    word = value.decode("ascii", "replace").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise BadRequest("strip_metadata must be true or false")
