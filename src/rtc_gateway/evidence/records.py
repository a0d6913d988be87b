"""The hashed evidence record: one event of one conversation, as canonical JSON bytes.

A record (version 1) is an object with exactly these members::

    v                   1
    conversation        conversation id
    conversation_index  1, 2, ... its position in the conversation's chain
    prev                hex leaf hash of the previous record of the conversation, or null
    kind                "message", "conversation.opened", ... (see RecordKind)
    actor               {"role": ..., "id": pseudonymous id}
    at                  server time, RFC 3339 UTC with milliseconds
    seq                 message sequence number (messages) or null
    client_msg_id       the client's id for a message, or null
    text_sha256         hex SHA-256(salt || UTF-8 text), or null when there is no text
    data                object of kind-specific details

The leaf hash of a record is its RFC 6962 leaf hash. Text and salt are kept beside the
record, never in it, so erasing them leaves the record, and the log, intact.
"""

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rtc_gateway.evidence.canonical_json import (
    MAX_SAFE_INTEGER,
    CanonicalJsonError,
    canonical_json,
)

RECORD_VERSION = 1
SALT_SIZE = 16
FIELDS = frozenset(
    {
        "v",
        "conversation",
        "conversation_index",
        "prev",
        "kind",
        "actor",
        "at",
        "seq",
        "client_msg_id",
        "text_sha256",
        "data",
    }
)

_escape = json.encoder.encode_basestring
_TEMPLATE = (
    '{{"actor":{{"id":{},"role":{}}},"at":{},"client_msg_id":{},"conversation":{},'
    '"conversation_index":{},"data":{{}},"kind":{},"prev":{},"seq":{},"text_sha256":{},"v":{}}}'
)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_second_text: tuple[datetime, str] = (_EPOCH, "1970-01-01T00:00:00")
"""An instant of the last second formatted, and that second's text: comparing six
fields costs a fraction of counting seconds since the epoch."""
_MILLISECONDS = tuple(f".{millisecond:03d}Z" for millisecond in range(1000))
"""An instant's tail looked up, not formatted: a format specification costs about ten
times the look-up."""


def format_at(instant: datetime) -> str:
    """``2026-11-30T00:37:22.123Z``: the same text as ``domain.timestamps.format_utc``.

    On the append path: the text of the current second is computed once per second.
    """
    global _second_text
    if instant.tzinfo is not UTC:
        instant = instant.astimezone(UTC)
    cached, text = _second_text
    if (instant.second != cached.second or instant.minute != cached.minute
            or instant.hour != cached.hour or instant.day != cached.day
            or instant.month != cached.month or instant.year != cached.year):
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((instant - _EPOCH) // _SECOND))
        _second_text = (instant, text)
    return text + _MILLISECONDS[instant.microsecond // 1000]


def text_commitment(salt: bytes, text: str) -> str:
    return hashlib.sha256(salt + text.encode("utf-8")).hexdigest()


def record_object(
    *,
    conversation_id: str,
    conversation_index: int,
    prev: bytes | None,
    kind: str,
    actor_role: str,
    actor_id: str,
    at: str,
    seq: int | None,
    client_msg_id: str | None,
    text_sha256: str | None,
    data: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "v": RECORD_VERSION,
        "conversation": conversation_id,
        "conversation_index": conversation_index,
        "prev": prev.hex() if prev is not None else None,
        "kind": kind,
        "actor": {"role": actor_role, "id": actor_id},
        "at": at,
        "seq": seq,
        "client_msg_id": client_msg_id,
        "text_sha256": text_sha256,
        "data": data,
    }


def encode_record(record: Mapping[str, Any]) -> bytes:
    """Canonical bytes of a record, written directly when ``data`` is empty.

    With no ``data`` every member is a string, an integer, null or the ASCII-keyed actor
    object, so the members can be written in their (fixed) sorted order with the
    standard JSON string escaping, which is exactly RFC 8785's. An integer member that
    is not a safe integer (past 2**53, a bool, a string) goes to :func:`canonical_json`,
    which writes or refuses it exactly. Tests check both paths agree.
    """
    data = record["data"]
    if not isinstance(data, Mapping) or data:
        return canonical_json(record)
    seq, index, version = record["seq"], record["conversation_index"], record["v"]
    if not (_safe_integer(index) and _safe_integer(version)
            and (seq is None or _safe_integer(seq))):
        return canonical_json(record)
    actor = record["actor"]
    try:
        text = _TEMPLATE.format(
            _escape(actor["id"]),
            _escape(actor["role"]),
            _escape(record["at"]),
            _optional_string(record["client_msg_id"]),
            _escape(record["conversation"]),
            index,
            _escape(record["kind"]),
            _optional_string(record["prev"]),
            "null" if seq is None else str(seq),
            _optional_string(record["text_sha256"]),
            version,
        )
    except TypeError as error:
        raise CanonicalJsonError(f"a record member has the wrong type: {error}") from error
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise CanonicalJsonError("a string holds a lone surrogate") from error


def _safe_integer(value: Any) -> bool:
    return type(value) is int and abs(value) <= MAX_SAFE_INTEGER


def _optional_string(value: Any) -> str:
    return "null" if value is None else _escape(value)  # TypeError unless a str


@dataclass(frozen=True, slots=True)
class ParsedRecord:
    """A record read back from its bytes, checked to be a canonical version 1 record."""

    conversation_id: str
    conversation_index: int
    prev: bytes | None
    kind: str
    actor_role: str
    actor_id: str
    at: str
    seq: int | None
    client_msg_id: str | None
    text_sha256: str | None
    data: dict[str, Any]


def parse_record(blob: bytes) -> ParsedRecord:
    """Parse and check a record; raise ``ValueError`` saying what is wrong."""
    try:
        obj = json.loads(blob.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"record is not JSON: {error}") from error
    if not isinstance(obj, dict) or set(obj) != FIELDS:
        raise ValueError("record does not have exactly the version 1 members")
    if obj["v"] != RECORD_VERSION:
        raise ValueError(f"record version {obj['v']!r} is not {RECORD_VERSION}")
    if encode_record(obj) != blob:
        raise ValueError("record is not in canonical form")
    actor = obj["actor"]
    prev = obj["prev"]
    return ParsedRecord(
        conversation_id=_typed(obj, "conversation", str),
        conversation_index=_typed(obj, "conversation_index", int),
        prev=bytes.fromhex(prev) if isinstance(prev, str) else None,
        kind=_typed(obj, "kind", str),
        actor_role=str(actor["role"]) if isinstance(actor, dict) else "",
        actor_id=str(actor["id"]) if isinstance(actor, dict) else "",
        at=_typed(obj, "at", str),
        seq=obj["seq"] if isinstance(obj["seq"], int) else None,
        client_msg_id=obj["client_msg_id"],
        text_sha256=obj["text_sha256"],
        data=obj["data"] if isinstance(obj["data"], dict) else {},
    )


def _typed(obj: dict[str, Any], name: str, kind: type) -> Any:
    value = obj[name]
    if not isinstance(value, kind):
        raise ValueError(f"record member {name!r} is not a {kind.__name__}")
    return value
