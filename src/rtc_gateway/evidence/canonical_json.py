"""Canonical JSON in the manner of RFC 8785 (JCS), for the values evidence records hold.

Objects have their keys sorted by UTF-16 code units, there is no whitespace, strings
are written as UTF-8 with only the escapes JSON requires, and numbers follow the
ECMAScript rules RFC 8785 adopts (integers as digits; other finite doubles in their
shortest round-trip form). Integers outside the range a double holds exactly, NaN and
infinities are refused, as are lone surrogates and non-string keys.

Standard library only, so an expert can read it beside the RFC.
"""

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1

_escape_string = json.encoder.encode_basestring


class CanonicalJsonError(ValueError):
    """The value cannot be written as canonical JSON."""


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 bytes of ``value``."""
    parts: list[str] = []
    _write(value, parts)
    try:
        return "".join(parts).encode("utf-8")
    except UnicodeEncodeError as error:
        raise CanonicalJsonError("a string holds a lone surrogate") from error


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_escape_string(value))
    elif isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise CanonicalJsonError(f"integer {value} is outside the exact range of a double")
        out.append(str(value))
    elif isinstance(value, float):
        out.append(format_number(value))
    elif isinstance(value, Mapping):
        _write_object(value, out)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        _write_array(value, out)
    else:
        raise CanonicalJsonError(f"{type(value).__name__} has no canonical JSON form")


def _write_object(value: Mapping[Any, Any], out: list[str]) -> None:
    for key in value:
        if not isinstance(key, str):
            raise CanonicalJsonError(f"object key {key!r} is not a string")
    out.append("{")
    for position, key in enumerate(sorted(value, key=_utf16_order)):
        if position:
            out.append(",")
        out.append(_escape_string(key))
        out.append(":")
        _write(value[key], out)
    out.append("}")


def _write_array(value: Sequence[Any], out: list[str]) -> None:
    out.append("[")
    for position, item in enumerate(value):
        if position:
            out.append(",")
        _write(item, out)
    out.append("]")


def _utf16_order(key: str) -> bytes:
    return key.encode("utf-16-be", "surrogatepass")


def format_number(number: float) -> str:
    """ECMAScript ``Number.prototype.toString`` of a finite double (RFC 8785 §3.2.2.3)."""
    if not math.isfinite(number):
        raise CanonicalJsonError(f"{number} has no JSON form")
    if number == 0:
        return "0"
    sign = "-" if number < 0 else ""
    digits, exponent = _shortest_digits(abs(number))
    # The value is 0.d1d2...dk x 10^exponent, with k = len(digits).
    k = len(digits)
    if k <= exponent <= 21:
        return sign + digits + "0" * (exponent - k)
    if 0 < exponent <= 21:
        return sign + digits[:exponent] + "." + digits[exponent:]
    if -6 < exponent <= 0:
        return sign + "0." + "0" * (-exponent) + digits
    shown = exponent - 1
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{mantissa}e{'+' if shown > 0 else '-'}{abs(shown)}"


def _shortest_digits(number: float) -> tuple[str, int]:
    """Shortest round-trip digits of a positive double and n with value = 0.digits x 10^n."""
    text = repr(number)
    if "e" in text:
        significand, _, power_text = text.partition("e")
        power_value = int(power_text)
    else:
        significand, power_value = text, 0
    whole, _, fraction = significand.partition(".")
    all_digits = whole + fraction
    digits = all_digits.lstrip("0")
    exponent = len(whole) - (len(all_digits) - len(digits)) + power_value
    return digits.rstrip("0"), exponent
