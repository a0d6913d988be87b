"""Settings with embedded defaults, overridable by ``RTC_GATEWAY_*`` variables and flags."""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

ENV_PREFIX = "RTC_GATEWAY_"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("./data")
    serializer: str = "json"
    """``json`` (default) or ``msgpack`` (socket.io-msgpack-parser); one per server."""
    cors_origins: tuple[str, ...] = ()
    """Exact origins allowed besides the gateway's own; empty means same-origin only."""
    citizen_token_ttl_s: float = 7 * 24 * 3600
    agent_token_ttl_s: float = 12 * 3600
    agent_grace_s: float = 30.0
    rate_per_s: float = 20.0
    """Sustained client events per second per connection."""
    rate_burst: float = 60.0
    anonymous_per_ip: int = 30
    anonymous_window_s: float = 600.0
    max_packet_bytes: int = 64 * 1024
    max_nesting_depth: int = 32
    """Arrays and objects a packet's payload may nest; deeper is refused as unreadable."""
    max_buffered_bytes: int = 4 * 1024 * 1024
    """Unread output a client may hold before it is cut off (it reconnects and resumes)."""
    max_open_per_citizen: int = 5
    ping_interval_s: float = 20.0
    ping_timeout_s: float = 25.0
    connect_timeout_s: float = 45.0
    """A client that has joined no namespace by then is closed."""
    evidence: str = "sqlite"
    """``sqlite`` (durable, default) or ``memory`` (tests and benchmarks of the relay alone)."""
    evidence_writer: str = "process"
    """Where the SQLite writer runs: ``process`` (its own core) or ``thread``."""
    evidence_origin: str = "rtc-gateway.local/evidence"
    evidence_backlog: int = 4000
    """Messages waiting to be durable above which WebSockets are not read, until no more
    than three quarters of that wait (overload: clients slow down, nothing piles up)."""
    checkpoint_interval_s: float = 60.0
    queue_update_interval_s: float = 0.2
    queue_updates_per_s: float = 2000.0
    """Budget of ``conversation:queued`` pushes: a longer queue is told less often."""
    ice_servers: tuple[Mapping[str, Any], ...] = ()
    turn_secret: str | None = None
    rtc_host_addresses: tuple[str, ...] = ()
    """Addresses the gateway's WebRTC peers offer as host candidates; empty: all local ones."""
    video_empty_room_timeout_s: float = 60.0
    log_level: str = "INFO"
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def evidence_db(self) -> Path:
        return self.data_dir / "evidence.db"

    @property
    def log_key_path(self) -> Path:
        return self.data_dir / "keys" / "log-signing.key"

    @property
    def token_key_path(self) -> Path:
        return self.data_dir / "keys" / "token-signing.key"

    @property
    def recordings_dir(self) -> Path:
        return self.data_dir / "recordings"


def _convert(name: str, raw: str) -> Any:
    if name == "data_dir":
        return Path(raw)
    if name in ("port", "anonymous_per_ip", "max_packet_bytes", "max_buffered_bytes",
                "max_open_per_citizen", "evidence_backlog", "max_nesting_depth"):
        return int(raw)
    if name in ("cors_origins", "rtc_host_addresses"):
        return tuple(origin.strip() for origin in raw.split(",") if origin.strip())
    if name == "ice_servers":
        return tuple(json.loads(raw))
    if name.endswith("_s") or name in ("rate_per_s", "rate_burst"):
        return float(raw)
    return raw


def from_environment(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Defaults, then ``RTC_GATEWAY_<FIELD>`` variables, then non-None ``overrides``."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for spec in fields(Settings):
        raw = environ.get(ENV_PREFIX + spec.name.upper())
        if raw is not None and spec.name != "extra":
            values[spec.name] = _convert(spec.name, raw)
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = replace(Settings(), **values)
    if settings.serializer not in ("json", "msgpack"):
        raise ValueError("serializer must be json or msgpack")
    if settings.evidence not in ("sqlite", "memory"):
        raise ValueError("evidence must be sqlite or memory")
    if settings.evidence_writer not in ("process", "thread"):
        raise ValueError("evidence_writer must be process or thread")
    if settings.queue_updates_per_s <= 0:
        raise ValueError("queue_updates_per_s must be positive")
    return settings
