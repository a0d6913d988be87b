"""Where a login may send the browser back to: a path on the gateway, nothing else."""

import re

_SAFE_PATH = re.compile(r"^/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@/%?#]*$")
MAX_RETURN_TO = 512


def safe_return_to(value: str | None) -> str:
    """``value`` if it is a local path (``/demo/``), else ``/``: never another host
    (``//evil``, ``/\\evil``, ``https://...``), never a control character."""
    if not value or len(value) > MAX_RETURN_TO or not _SAFE_PATH.match(value):
        return "/"
    return value


def with_query(path: str, name: str, value: str) -> str:
    """``path`` with one more query parameter (``value`` is a short code)."""
    separator = "&" if "?" in path else "?"
    return f"{path}{separator}{name}={value}"
