"""Full-text search of the advice in SQLite FTS5, with French stemming applied before
indexing and to the query (Snowball's French stemmer): ``arnaques`` finds
``arnaque``, ``harcelée`` finds ``harcèlement``'s articles. Each word is indexed both as
the stem of its accented form and as the stem of its form without accents, so a query
typed without accents (``securite``) matches too. The index is in memory: the articles
are few and are re-indexed whole on each reload."""

import re
import sqlite3
import unicodedata
from collections.abc import Sequence

import snowballstemmer

from rtc_gateway.domain.advice import Advice

WORD = re.compile(r"[^\W\d_]+|\d+")
_STOP_WORDS_TEXT = """
a à au aux avec ce ces cet cette d dans de des du elle elles en est et être il ils je
l la le les leur leurs lui m ma mais me mes moi mon n ne nos notre nous on ou où par pas
pour qu que qui s sa sans se ses si son sont sur t ta te tes toi ton tu un une vos votre
vous y
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
MAX_QUERY_WORDS = 12
_stemmer = snowballstemmer.stemmer("french")


def _plain(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()


def variants(word: str) -> set[str]:
    """The forms a word is indexed and searched under (ASCII, so FTS5 needs no folding)."""
    lower = word.lower()
    return {v for v in (_plain(_stemmer.stemWord(lower)), _stemmer.stemWord(_plain(lower)))
            if v}


def words(text: str) -> list[str]:
    return [w for w in WORD.findall(text.lower()) if w not in STOP_WORDS]


def terms(text: str) -> str:
    return " ".join(sorted({v for w in words(text) for v in variants(w)}))


class SqliteAdviceIndex:
    def __init__(self) -> None:
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute("CREATE VIRTUAL TABLE advice USING fts5("
                         "id UNINDEXED, theme UNINDEXED, title, summary, body, "
                         "tokenize = 'unicode61')")

    def replace(self, advice: Sequence[Advice]) -> None:
        with self._db:
            self._db.execute("DELETE FROM advice")
            self._db.executemany(
                "INSERT INTO advice (id, theme, title, summary, body) VALUES (?, ?, ?, ?, ?)",
                [(a.id, a.theme, terms(a.title), terms(a.summary), terms(a.body))
                 for a in advice])

    def search(self, query: str, theme: str | None, limit: int) -> list[str]:
        clauses = []
        for word in words(query)[:MAX_QUERY_WORDS]:
            forms = sorted(variants(word))
            if forms:
                clauses.append("(" + " OR ".join(f'"{form}"' for form in forms) + ")")
        if not clauses:
            return []
        sql = ("SELECT id FROM advice WHERE advice MATCH ?"
               + (" AND theme = ?" if theme is not None else "")
               + " ORDER BY bm25(advice, 0, 0, 5.0, 3.0, 1.0) LIMIT ?")
        parameters: tuple[object, ...] = (" AND ".join(clauses),
                                          *((theme,) if theme is not None else ()), limit)
        return [row[0] for row in self._db.execute(sql, parameters)]
