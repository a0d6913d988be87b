"""Tables of the SQLite evidence log and the connection settings it relies on."""

import sqlite3
from pathlib import Path

from rtc_gateway.security.private_files import (
    create_missing_dirs,
    create_private_file,
    restrict_if_present,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    idx INTEGER PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    conversation_index INTEGER NOT NULL,
    kind TEXT NOT NULL,
    seq INTEGER,
    at TEXT NOT NULL,
    record BLOB NOT NULL,
    leaf_hash BLOB NOT NULL,
    text TEXT,
    salt BLOB
);
CREATE UNIQUE INDEX IF NOT EXISTS records_by_conversation
    ON records (conversation_id, conversation_index);
CREATE TABLE IF NOT EXISTS conversations (
    conversation_id TEXT PRIMARY KEY,
    last_index INTEGER NOT NULL,
    last_hash BLOB NOT NULL,
    opened INTEGER NOT NULL,
    closed INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS tree (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size INTEGER NOT NULL,
    frontier BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
    id INTEGER PRIMARY KEY,
    size INTEGER NOT NULL,
    root BLOB NOT NULL,
    note TEXT NOT NULL,
    signed_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS checkpoints_by_size ON checkpoints (size);
CREATE TABLE IF NOT EXISTS nodes (
    height INTEGER NOT NULL,
    idx INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (height, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
"""

EMPTY_FRONTIER = (0).to_bytes(8, "big")


def prepare_private_database(db_path: Path) -> None:
    """Create the database file 0600 before SQLite does (it would use 0644), and tighten
    one left by an older version; SQLite gives its -wal and -shm files the same mode."""
    create_missing_dirs(db_path.parent)
    create_private_file(db_path)
    for suffix in ("-wal", "-shm"):
        restrict_if_present(db_path.with_name(db_path.name + suffix))


def connect(db_path: Path) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), WAL, fsync on commit."""
    con = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False, timeout=30.0)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA busy_timeout=30000")
    return con


def create_schema(con: sqlite3.Connection) -> None:
    """Idempotent: several processes may open a new database at once."""
    con.executescript(SCHEMA)
    con.execute(
        "INSERT OR IGNORE INTO tree (id, size, frontier) VALUES (1, 0, ?)", (EMPTY_FRONTIER,)
    )


def bind_origin(con: sqlite3.Connection, origin: str) -> None:
    """Record the log's origin on creation; refuse to open it under another one."""
    con.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('origin', ?)", (origin,))
    (stored,) = con.execute("SELECT value FROM meta WHERE key = 'origin'").fetchone()
    if stored != origin:
        raise ValueError(f"this evidence log's origin is {stored!r}, not {origin!r}")


def stored_origin(db_path: Path) -> str | None:
    """The origin an existing log was created with, or None."""
    if not db_path.exists():
        return None
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30.0)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'origin'").fetchone()
    except sqlite3.OperationalError:
        return None
    finally:
        con.close()
    return None if row is None else str(row[0])
