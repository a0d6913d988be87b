"""JSON for Socket.IO packets through msgspec, with the standard library as a fallback.

The standard library's ``json.dumps`` with any argument builds a new encoder on every
call, which once showed up as the largest single cost of relaying a chat message;
msgspec encodes compactly, straight to bytes.

msgspec refuses some JSON the standard library accepts (``NaN``, ``1e400``, a lone UTF-16
surrogate escape such as ``"\ud800"``); decoding retries such input with the standard
library, as before, so it reaches the schema check. Strings with lone surrogates are
refused there and then: they could never be stored as UTF-8.
"""

import json
from typing import Any

import msgspec

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


def encode(obj: Any) -> bytes:
    """Compact JSON; lone surrogates are escaped rather than refused."""
    try:
        return _encoder.encode(obj)
    except (TypeError, UnicodeEncodeError, OverflowError):
        return json.dumps(obj, separators=(",", ":")).encode("utf-8")


class UnencodableText(ValueError):
    """Strings with lone surrogates: valid JSON, but not Unicode text."""


def decode(data: str | bytes) -> Any:
    """Decoded JSON whose strings are all valid Unicode; ``ValueError`` otherwise."""
    try:
        return _decoder.decode(data)
    except msgspec.DecodeError:
        value = json.loads(data)
    if not _all_text_encodable(value):
        raise UnencodableText("strings must be valid Unicode text")
    return value


def _all_text_encodable(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, list):
        return all(_all_text_encodable(item) for item in value)
    if isinstance(value, dict):
        return all(_all_text_encodable(k) and _all_text_encodable(v) for k, v in value.items())
    return True
