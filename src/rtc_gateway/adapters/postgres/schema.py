"""The PostgreSQL schema, as numbered migrations applied once, safely from several nodes.

``migrate`` takes a transaction-scoped advisory lock first, so nodes that start at the
same moment apply each migration exactly once, in order; a node that finds the schema
newer than the code it runs refuses to start rather than write what it does not know.
"""

from collections.abc import Sequence

import asyncpg

MIGRATION_LOCK = 0x7274_635F_6D69_67  # "rtc_mig": the advisory lock of schema changes

MIGRATIONS: Sequence[str] = (
    # 1: the evidence log (records, chains, Merkle tree, checkpoints)
    """
    CREATE TABLE evidence_records (
        idx BIGINT PRIMARY KEY,
        conversation_id TEXT NOT NULL,
        conversation_index INTEGER NOT NULL,
        kind TEXT NOT NULL,
        seq BIGINT,
        at TEXT NOT NULL,
        record BYTEA NOT NULL,
        leaf_hash BYTEA NOT NULL,
        text TEXT,
        salt BYTEA,
        UNIQUE (conversation_id, conversation_index)
    );
    CREATE INDEX evidence_records_messages
        ON evidence_records (conversation_id, seq) WHERE kind = 'message';
    CREATE INDEX evidence_records_at ON evidence_records (at) WHERE text IS NOT NULL;
    CREATE TABLE evidence_conversations (
        conversation_id TEXT PRIMARY KEY,
        last_index INTEGER NOT NULL,
        last_hash BYTEA NOT NULL,
        last_seq BIGINT NOT NULL,
        opened BOOLEAN NOT NULL,
        closed BOOLEAN NOT NULL
    );
    CREATE INDEX evidence_conversations_open
        ON evidence_conversations (conversation_id) WHERE opened AND NOT closed;
    CREATE TABLE evidence_tree (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        size BIGINT NOT NULL,
        frontier BYTEA NOT NULL
    );
    INSERT INTO evidence_tree (id, size, frontier) VALUES (1, 0, '\\x0000000000000000');
    CREATE TABLE evidence_nodes (
        height INTEGER NOT NULL,
        idx BIGINT NOT NULL,
        hash BYTEA NOT NULL,
        PRIMARY KEY (height, idx)
    );
    CREATE TABLE evidence_checkpoints (
        id BIGSERIAL PRIMARY KEY,
        size BIGINT NOT NULL,
        root BYTEA NOT NULL,
        note TEXT NOT NULL,
        signed_at TEXT NOT NULL,
        signer TEXT NOT NULL
    );
    CREATE INDEX evidence_checkpoints_by_size ON evidence_checkpoints (size);
    CREATE TABLE evidence_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: staff-token revocations and citizen-token generations (ports/revocations.py)
    """
    CREATE TABLE revocations (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        value BIGINT NOT NULL,
        expires_us BIGINT NOT NULL,
        version BIGINT NOT NULL,
        PRIMARY KEY (kind, key)
    );
    CREATE INDEX revocations_by_version ON revocations (version);
    CREATE TABLE revocation_version (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version BIGINT NOT NULL
    );
    INSERT INTO revocation_version (id, version) VALUES (1, 0);
    """,
    # 3: citizens' pending logins and verified sessions (ports/session_store.py)
    """
    CREATE TABLE citizen_logins (
        state_hash TEXT PRIMARY KEY,
        body BYTEA NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX citizen_logins_expiry ON citizen_logins (expires_at);
    CREATE TABLE citizen_sessions (
        session_id TEXT PRIMARY KEY,
        body BYTEA NOT NULL,
        expires_at TIMESTAMPTZ NOT NULL
    );
    CREATE INDEX citizen_sessions_expiry ON citizen_sessions (expires_at);
    CREATE TABLE citizen_session_links (
        citizen_id TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES citizen_sessions ON DELETE CASCADE
    );
    CREATE INDEX citizen_session_links_session ON citizen_session_links (session_id);
    """,
    # 4: cases and their reference numbers (ports/case_store.py)
    """
    CREATE TABLE cases (
        id TEXT PRIMARY KEY,
        reference TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        status TEXT NOT NULL,
        citizen_id TEXT NOT NULL,
        force TEXT NOT NULL,
        unit_id TEXT,
        created_at TIMESTAMPTZ NOT NULL,
        body BYTEA NOT NULL
    );
    CREATE INDEX cases_by_citizen ON cases (citizen_id, created_at);
    CREATE INDEX cases_by_force ON cases (force, unit_id, created_at);
    CREATE TABLE case_numbers (
        kind TEXT NOT NULL,
        year INTEGER NOT NULL,
        last INTEGER NOT NULL,
        PRIMARY KEY (kind, year)
    );
    """,
    # 5: video appointments: units' schedules, bookings (no two live on one slot)
    """
    CREATE TABLE appointment_schedules (
        unit_id TEXT PRIMARY KEY,
        force TEXT NOT NULL,
        body BYTEA NOT NULL
    );
    CREATE TABLE appointments (
        id TEXT PRIMARY KEY,
        slot_id TEXT NOT NULL,
        unit_id TEXT NOT NULL,
        citizen_id TEXT NOT NULL,
        status TEXT NOT NULL,
        start TIMESTAMPTZ NOT NULL,
        body BYTEA NOT NULL
    );
    CREATE UNIQUE INDEX appointments_live_slot ON appointments (slot_id)
        WHERE status = 'booked';
    CREATE INDEX appointments_by_citizen ON appointments (citizen_id, start);
    CREATE INDEX appointments_by_unit ON appointments (unit_id, start);
    """,
)


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer gateway than this one."""


async def migrate(connection: asyncpg.Connection) -> int:
    """Apply the migrations this database lacks; the schema version it has now."""
    async with connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
        await connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        current = await connection.fetchval(
            "SELECT coalesce(max(version), 0) FROM schema_migrations")
        if current > len(MIGRATIONS):
            raise SchemaTooNew(f"the database schema is at version {current}; this gateway"
                               f" knows versions up to {len(MIGRATIONS)}: upgrade it")
        for version in range(current + 1, len(MIGRATIONS) + 1):
            await connection.execute(MIGRATIONS[version - 1])
            await connection.execute(
                "INSERT INTO schema_migrations (version) VALUES ($1)", version)
        return len(MIGRATIONS)


async def bind_origin(connection: asyncpg.Connection, origin: str) -> None:
    """Record the log's origin on creation; refuse to open it under another one."""
    await connection.execute(
        "INSERT INTO evidence_meta (key, value) VALUES ('origin', $1) ON CONFLICT DO NOTHING",
        origin)
    stored = await connection.fetchval("SELECT value FROM evidence_meta WHERE key = 'origin'")
    if stored != origin:
        raise ValueError(f"this evidence log's origin is {stored!r}, not {origin!r}")


async def stored_origin(connection: asyncpg.Connection) -> str | None:
    """The origin the log was created with; ``None`` for a database without a log yet."""
    try:
        origin = await connection.fetchval(
            "SELECT value FROM evidence_meta WHERE key = 'origin'")
    except asyncpg.UndefinedTableError:
        return None
    return None if origin is None else str(origin)
