"""How deeply a packet's payload nests arrays and objects, checked before anything walks it.

Decoders, schema checks and encoders recurse once per level: about a thousand levels (2 KB
of brackets) exhaust Python's stack. A payload nesting deeper than the limit is refused as
unreadable. The check costs next to nothing on ordinary packets: a payload with no more
opening brackets (or msgpack container markers) than the limit cannot nest deeper, and
only one with more is looked at closely.
"""

import re
from typing import Any

DEFAULT_MAX_DEPTH = 32

_JSON_TOKENS = re.compile(r'("(?:[^"\\]++|\\.)*+")|([\[{])|([\]}])')
_OPENING, _CLOSING = 2, 3
_MSGPACK_CONTAINERS = bytes([*range(0x80, 0xA0), *range(0xDC, 0xE0)])
"""fixmap, fixarray, array 16/32 and map 16/32 markers."""
_NOT_MSGPACK_CONTAINERS = bytes(b for b in range(256) if b not in _MSGPACK_CONTAINERS)


def json_too_deep(text: str, limit: int) -> bool:
    """Whether JSON ``text`` nests arrays and objects more than ``limit`` levels (brackets
    inside strings do not count)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        kind = token.lastindex
        if kind == _OPENING:
            depth += 1
            if depth > limit:
                return True
        elif kind == _CLOSING:
            depth -= 1
    return False


def msgpack_may_be_too_deep(message: bytes, limit: int) -> bool:
    """False when ``message`` holds too few container markers to nest more than ``limit``
    levels; True means it must be looked at (:func:`value_too_deep`) once decoded."""
    return len(message.translate(None, _NOT_MSGPACK_CONTAINERS)) > limit


def value_too_deep(value: Any, limit: int) -> bool:
    """Whether decoded ``value`` nests lists, tuples and dicts more than ``limit`` levels;
    level by level, so it cannot exhaust the stack itself."""
    level = [value]
    depth = 0
    while level:
        inner: list[Any] = []
        for item in level:
            kind = type(item)
            if kind is dict:
                inner.extend(item.values())
                inner.extend(key for key in item if type(key) is tuple)  # msgpack array keys
            elif kind is list or kind is tuple:
                inner.extend(item)
            else:
                continue
            if depth == limit:
                return True
        depth += 1
        level = inner
    return False
