"""Settings with embedded defaults, overridable by ``RTC_GATEWAY_*`` variables and flags."""

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from rtc_gateway.domain.staff_claims import StaffClaimMapping, parse_role_values

ENV_PREFIX = "RTC_GATEWAY_"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("./data")
    serializer: str = "json"
    """``json`` (default) or ``msgpack`` (socket.io-msgpack-parser); one per server."""
    cors_origins: tuple[str, ...] = ()
    """Exact origins allowed besides the gateway's own (``public_url``'s)."""
    public_url: str | None = None
    """The gateway's external base URL; its origin is always allowed. Unset: pages from
    loopback origins (``http://localhost:*``, ``http://127.0.0.1:*``) are, for development."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or CIDR blocks of reverse proxies whose ``X-Forwarded-For`` is believed."""
    metrics_allow: tuple[str, ...] = ()
    """Addresses or CIDR blocks that may read ``/metrics`` besides loopback."""
    head_timeout_s: float = 10.0
    """Time a connection has to send a whole request head (and between requests)."""
    max_connections: int = 0
    """Open TCP connections in all; 0: the file-descriptor limit less 256."""
    max_connections_per_address: int = 500
    """Open TCP connections per client address (IPv6: per /64); carrier-grade NAT puts
    hundreds of subscribers behind one address."""
    citizen_token_ttl_s: float = 7 * 24 * 3600
    citizen_token_grace_s: float = 120.0
    """How long the token a citizen presented stays valid after it was renewed."""
    agent_token_ttl_s: float = 12 * 3600
    agent_grace_s: float = 30.0
    rate_per_s: float = 20.0
    """Sustained client events per second per identity, shared by all its sockets."""
    rate_burst: float = 60.0
    connects_per_address_per_s: float = 5.0
    connects_per_address_burst: float = 50.0
    """Namespace connects per address (IPv6: per /64), checked before any token work."""
    connects_per_identity_per_s: float = 0.5
    connects_per_identity_burst: float = 10.0
    max_sockets_per_identity: int = 10
    max_open_per_address: int = 20
    """Open conversations (urgent included) one address may hold at once."""
    abuse_block_s: float = 3600.0
    """How long a source reported abusive stays blocked."""
    urgent_surge_threshold: int = 20
    urgent_surge_window_s: float = 60.0
    """Supervisors are alarmed when this many urgent openings fall within the window."""
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
    quick_exit_url: str = "https://www.google.fr/search?q=meteo"
    """Where the citizen page's *Quitter* button goes (it replaces the page, leaving no
    history entry); an ordinary, harmless site."""
    waiting_alternatives_after_s: float = 120.0
    """After this long in the queue the citizen page offers 17/112, SMS 114 or a call-back."""
    oidc_issuer: str | None = None
    """The citizens' OpenID Connect provider; without one the login routes answer 503."""
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    session_ttl_s: float = 8 * 3600.0
    """Lifetime of a verified ``rtc_session``, whatever the provider's token says."""
    login_ttl_s: float = 600.0
    """How long a login started at ``/auth/login`` may take to come back."""
    staff_oidc_issuer: str | None = None
    """The ministry's OpenID provider for staff logins (``/auth/staff/*``); never the
    citizens' one. Unset: no staff login, tokens come from ``rtc-gateway token agent``."""
    staff_oidc_client_id: str | None = None
    staff_oidc_client_secret: str | None = None
    staff_oidc_scopes: str = "openid profile"
    staff_oidc_claims: str = ""
    """``field=claim`` pairs over the default claim names (``domain.staff_claims``)."""
    staff_oidc_role_values: str = ""
    """``provider_value=role`` pairs: the provider's role names as staff roles."""
    staff_oidc_token_ttl_s: float = 3600.0
    """Lifetime of a staff token from a staff login."""
    logins_per_address_per_s: float = 0.2
    logins_per_address_burst: float = 20.0
    """Logins started per address (IPv6: per /64): each holds a pending state."""
    max_case_body_bytes: int = 64 * 1024
    """Largest JSON body of a cases API request (413 ``too_large`` past it)."""
    case_writes_per_identity_per_s: float = 0.5
    case_writes_per_identity_burst: float = 30.0
    case_writes_per_address_per_s: float = 2.0
    case_writes_per_address_burst: float = 120.0
    """New cases, messages, withdrawals and decisions, per caller and per address
    (IPv6: per /64); 429 ``rate_limited`` past them."""
    max_attachment_bytes: int = 10 * 1024 * 1024
    """Largest attachment of a case (413 ``too_large`` past it, refused while reading)."""
    max_attachments_per_case: int = 20
    max_attachment_pixels: int = 50_000_000
    """Largest image (width x height) decoded to check it; 413 past it."""
    attachment_uploads_per_identity_per_s: float = 0.05
    attachment_uploads_per_identity_burst: float = 20.0
    attachment_uploads_per_address_per_s: float = 0.5
    attachment_uploads_per_address_burst: float = 100.0
    """Attachment uploads per caller and per address (IPv6: per /64); 429 past them."""
    case_purge_interval_s: float = 3600.0
    """How often the gateway purges pre-complaints whose appointment was not honoured
    30 days ago (0: never; ``rtc-gateway purge-pre-complaints`` runs it once)."""
    public_reads_per_address_per_s: float = 5.0
    public_reads_per_address_burst: float = 60.0
    """The citizen services' public reads (``/api/v1/units``, ``/api/v1/advice``) per
    address (IPv6: per /64); 429 ``rate_limited`` past them."""
    advice_poll_interval_s: float = 30.0
    """How often the advice articles are reloaded (``DATA/advice/``, scheduled
    publications) and new ones pushed to their followers; 0: never after start."""
    attachment_sweep_grace_s: float = 86400.0
    """After each purge, attachment files no case lists are deleted once last committed
    this long ago (an upload commits its file just before its case lists it)."""
    urgent_wait_alert_s: float = 60.0
    """An urgent conversation queued this long raises ``supervision:alert`` to supervisors."""
    revocation_poll_interval_s: float = 1.0
    """How often a node reads new revocations and stores the citizen tokens it minted."""
    log_level: str = "INFO"
    redis_url: str | None = None
    """With ``database_url``: several nodes share one service (both or neither)."""
    database_url: str | None = None
    """``postgresql://...``: the evidence log lives in PostgreSQL instead of SQLite."""
    node_id: str | None = None
    """This node's name among the others; default: ``host:port`` (the host name when
    listening on every address)."""
    node_ttl_s: float = 5.0
    """A node that has not heartbeated in Redis for this long is gone."""
    node_call_timeout_s: float = 5.0
    """How long a node waits for the node holding a conversation to answer a forwarded
    request before telling its client ``unavailable``."""
    standby: bool = False
    """With shared services: a node that finds another node live waits as a hot standby
    (``/healthz`` 503) and takes over when that node is gone, instead of exiting 1."""
    keys_dir: Path | None = None
    """The token and log signing keys (default: ``data_dir/keys``); the nodes of one
    service share one (see docs/operations.md)."""
    key_reload_interval_s: float = 2.0
    """How often a node looks for a rotated token signing key in ``keys_dir``."""
    thesee_four_eyes_above_eur: float = 5000.0
    """A THESEE validation of a case declaring a loss above this waits for a second
    reviewer's; negative: never."""
    thesee_claim_ttl_s: float = 1800.0
    """How long a reviewer's claim on a THESEE case lasts without a decision."""
    # -- appointments (Visioplainte) and their notices --
    smtp_url: str | None = None
    """``smtp://[user:password@]host:port`` (``smtps://`` for TLS at once): the relay of
    appointment e-mails; unset, they are kept in memory and not sent."""
    mail_from: str | None = None
    """The ``From`` of those e-mails; required with ``smtp_url``."""
    sms_url: str | None = None
    """HTTP(S) endpoint of the SMS provider (``POST {to, text}``); unset: no SMS leaves."""
    sms_token: str | None = None
    """Bearer token sent to ``sms_url``."""
    appointment_schedules: Path | None = None
    """JSON file of units' schedules (``{"schedules": [...]}``) loaded at start."""
    appointment_reminder_interval_s: float = 300.0
    """How often appointments starting within 24 h are looked for, to remind them."""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def multi_node(self) -> bool:
        return self.redis_url is not None and self.database_url is not None

    @property
    def evidence_db(self) -> Path:
        return self.data_dir / "evidence.db"

    @property
    def log_key_path(self) -> Path:
        return (self.keys_dir or self.data_dir / "keys") / "log-signing.key"

    @property
    def token_key_path(self) -> Path:
        return (self.keys_dir or self.data_dir / "keys") / "token-signing.key"

    @property
    def appointments_db(self) -> Path:
        return self.data_dir / "appointments.db"

    @property
    def link_key_path(self) -> Path:
        return self.data_dir / "keys" / "appointment-links.key"

    @property
    def cases_db(self) -> Path:
        return self.data_dir / "cases.db"

    @property
    def attachments_dir(self) -> Path:
        return self.data_dir / "attachments"

    @property
    def revocations_db(self) -> Path:
        return self.data_dir / "revocations.db"

    @property
    def recordings_dir(self) -> Path:
        return self.data_dir / "recordings"


def _convert(name: str, raw: str) -> Any:
    if name == "data_dir":
        return Path(raw)
    if name == "keys_dir":
        return Path(raw) if raw else None
    if name in ("redis_url", "database_url", "node_id"):
        return raw or None
    if name == "standby":
        return _boolean(name, raw)
    if name == "appointment_schedules":
        return Path(raw) if raw else None
    if name in ("port", "anonymous_per_ip", "max_packet_bytes", "max_buffered_bytes",
                "max_open_per_citizen", "evidence_backlog", "max_sockets_per_identity",
                "max_open_per_address", "urgent_surge_threshold",
                "max_nesting_depth", "max_case_body_bytes"):
        return int(raw)
    if name in ("max_connections", "max_connections_per_address"):
        return int(raw)
    if name in ("max_attachment_bytes", "max_attachments_per_case", "max_attachment_pixels"):
        return int(raw)
    if name in ("cors_origins", "rtc_host_addresses", "trusted_proxies", "metrics_allow"):
        return tuple(origin.strip() for origin in raw.split(",") if origin.strip())
    if name == "ice_servers":
        return tuple(json.loads(raw))
    if name.endswith(("_s", "_burst", "_eur")):
        return float(raw)
    return raw


def _boolean(name: str, raw: str) -> bool:
    word = raw.strip().lower()
    if word not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
        raise ValueError(f"{name} must be true or false, not {raw!r}")
    return word in ("1", "true", "yes", "on")


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
    if not settings.quick_exit_url.startswith(("https://", "http://")):
        raise ValueError("quick_exit_url must be an http(s) address")
    if settings.public_url is not None and not settings.public_url.startswith(
            ("https://", "http://")):
        raise ValueError("public_url must be an http(s) address")
    if settings.oidc_issuer is not None and not (settings.oidc_client_id
                                                 and settings.public_url):
        raise ValueError("oidc_issuer needs oidc_client_id and public_url")
    _check_staff_oidc(settings)
    if settings.urgent_wait_alert_s <= 0:
        raise ValueError("urgent_wait_alert_s must be positive")
    if settings.queue_updates_per_s <= 0:
        raise ValueError("queue_updates_per_s must be positive")
    _check_shared_services(settings)
    _check_notices(settings)
    return settings


def _check_staff_oidc(settings: Settings) -> None:
    StaffClaimMapping.parse(settings.staff_oidc_claims)
    parse_role_values(settings.staff_oidc_role_values)
    if not settings.staff_oidc_issuer:
        return
    if not (settings.staff_oidc_client_id and settings.public_url):
        raise ValueError("staff_oidc_issuer needs staff_oidc_client_id and public_url")
    if settings.staff_oidc_issuer.rstrip("/") == (settings.oidc_issuer or "").rstrip("/"):
        raise ValueError("staff_oidc_issuer must not be the citizens' oidc_issuer")
    if settings.staff_oidc_token_ttl_s <= 0:
        raise ValueError("staff_oidc_token_ttl_s must be positive")
def _check_notices(settings: Settings) -> None:
    if settings.smtp_url is not None and not settings.mail_from:
        raise ValueError("smtp_url (RTC_GATEWAY_SMTP_URL) needs mail_from "
                         "(RTC_GATEWAY_MAIL_FROM)")
    if settings.smtp_url is not None and not settings.smtp_url.startswith(
            ("smtp://", "smtps://")):
        raise ValueError("smtp_url must look like smtp://host:port")
    if settings.sms_url is not None and not settings.sms_url.startswith(
            ("https://", "http://")):
        raise ValueError("sms_url must be an http(s) address")


def _check_shared_services(settings: Settings) -> None:
    if (settings.redis_url is None) != (settings.database_url is None):
        raise ValueError("redis_url (--redis-url, RTC_GATEWAY_REDIS_URL) and database_url"
                         " (--database-url, RTC_GATEWAY_DATABASE_URL) go together: give"
                         " both (several nodes) or neither (one node on SQLite)")
    if settings.node_ttl_s < 1:
        raise ValueError("node_ttl_s must be at least 1 second")
    if settings.standby and settings.redis_url is None:
        raise ValueError("standby (--standby, RTC_GATEWAY_STANDBY) needs redis_url and"
                         " database_url: a node alone has no one to stand by for")
    if settings.redis_url is not None and not settings.redis_url.startswith(
            ("redis://", "rediss://", "unix://")):
        raise ValueError("redis_url must be a redis://, rediss:// or unix:// URL")
    if settings.database_url is not None and not settings.database_url.startswith(
            ("postgresql://", "postgres://")):
        raise ValueError("database_url must be a postgresql:// URL")
