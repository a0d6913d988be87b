"""JSON for Socket.IO packets through msgspec, with the standard library as a fallback.

python-socketio and engine.io call ``json.dumps(data, separators=...)``; passing any
argument makes the standard library build a new encoder on every call, which showed up
as the largest single cost of relaying a chat message. msgspec encodes compactly by
itself. Payloads msgspec refuses (a lone UTF-16 surrogate escape, which the standard
library accepts) go through the standard library, so such input still reaches the
schema check and gets ``bad_request`` rather than a dropped connection.
"""

import json
from typing import Any

import msgspec

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()


class FastJson:
    @staticmethod
    def dumps(obj: Any, **_: Any) -> str:
        try:
            return _encoder.encode(obj).decode("utf-8")
        except (TypeError, UnicodeEncodeError, OverflowError):
            return json.dumps(obj, separators=(",", ":"))

    @staticmethod
    def loads(data: str | bytes, **_: Any) -> Any:
        try:
            return _decoder.decode(data)
        except msgspec.DecodeError:
            return json.loads(data)
