"""The two shapes of every acknowledgement: ``{"ok": true, ...}`` and ``{"ok": false, "error"}``."""

from typing import Any

Ack = dict[str, Any]


def ok(**fields: Any) -> Ack:
    return {"ok": True, **fields}


def failure(code: str, message: str) -> Ack:
    return {"ok": False, "error": {"code": code, "message": message}}
