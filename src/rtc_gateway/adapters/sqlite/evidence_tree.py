"""The stored hashes of the SQLite evidence log, for :class:`StoredTree` proofs."""

import sqlite3


class SqliteHashRanges:
    def __init__(self, con: sqlite3.Connection) -> None:
        self._con = con

    def hashes(self, height: int, first: int, count: int) -> list[bytes] | None:
        if height == 0:
            rows = self._con.execute(
                "SELECT leaf_hash FROM records WHERE idx >= ? AND idx < ? ORDER BY idx",
                (first, first + count),
            ).fetchall()
        else:
            rows = self._con.execute(
                "SELECT hash FROM nodes WHERE height = ? AND idx >= ? AND idx < ? ORDER BY idx",
                (height, first, first + count),
            ).fetchall()
        if len(rows) != count:
            if height == 0:
                raise LookupError(f"leaves {first} to {first + count - 1} are not all in the log")
            return None
        return [bytes(row[0]) for row in rows]
