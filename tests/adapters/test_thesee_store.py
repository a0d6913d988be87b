"""The THESEE stores (memory, SQLite, PostgreSQL): summaries, the link index, series,
queue filters, drafts and pending validations behave the same; the SQLite file is private
and survives a restart."""

import stat
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from rtc_gateway.adapters.memory.thesee_store import MemoryTheseeStore
from rtc_gateway.adapters.postgres.thesee_store import PostgresTheseeStore
from rtc_gateway.adapters.sqlite.thesee_store import SqliteTheseeStore
from rtc_gateway.domain.cases import CaseStatus
from rtc_gateway.domain.thesee.drafts import Draft
from rtc_gateway.domain.thesee.review import PendingValidation
from rtc_gateway.domain.thesee.summary import CaseSummary
from rtc_gateway.ports.thesee_store import QueueFilter, TheseeStore

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def summary(n: int, keys: set[str], *, loss: float = 10.0, scam: str = "blackmail",
            status: CaseStatus = CaseStatus.RECEIVED) -> CaseSummary:
    at = T0 + timedelta(minutes=n)
    return CaseSummary(f"c{n}", scam, "report", status, loss, at, at, None, frozenset(keys))


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[TheseeStore]:
    chosen: TheseeStore
    if request.param == "postgres":
        url = request.getfixturevalue("database_url")
        chosen = PostgresTheseeStore(url)
        await chosen.open()
        await empty(url)
    else:
        chosen = (MemoryTheseeStore() if request.param == "memory"
                  else SqliteTheseeStore(tmp_path / "thesee.db"))
        await chosen.open()
    yield chosen
    await chosen.close()


async def empty(url: str) -> None:
    """The shared test cluster: each test starts from empty THESEE tables."""
    con = await asyncpg.connect(url)
    try:
        await con.execute("TRUNCATE thesee_cases, thesee_links, thesee_drafts, thesee_pending")
    finally:
        await con.close()


async def test_links_and_series(store: TheseeStore) -> None:
    await store.put_summary(summary(1, {"iban:A", "domain:x.fr"}))
    await store.put_summary(summary(2, {"domain:x.fr", "phone:+33612345678"}))
    await store.put_summary(summary(3, {"phone:+33612345678"}))
    await store.put_summary(summary(4, {"email:e@x.fr"}))
    assert await store.linked(["c1", "c2", "c3", "c4", "nope"]) == {
        "c1": ["c2"], "c2": ["c1", "c3"], "c3": ["c2"], "c4": [], "nope": []}
    assert await store.series("c3") == ["c1", "c2", "c3"]
    assert await store.series("nope") == []
    await store.put_summary(summary(2, {"domain:x.fr"}))
    assert await store.linked(["c3"]) == {"c3": []}
    assert await store.series("c1") == ["c1", "c2"]
    await store.remove("c2")
    assert await store.linked(["c1"]) == {"c1": []}
    assert await store.summary("c2") is None
    assert sorted(await store.pairs()) == [("domain:x.fr", "c1"), ("email:e@x.fr", "c4"),
                                           ("iban:A", "c1"), ("phone:+33612345678", "c3")]


async def test_queue_filters_and_retention(store: TheseeStore) -> None:
    await store.put_summary(summary(1, set(), loss=100, scam="blackmail"))
    await store.put_summary(summary(2, set(), loss=5000, scam="romance_scam"))
    await store.put_summary(summary(3, set(), loss=50, status=CaseStatus.REGISTERED))
    ids = [s.case_id for s in await store.queue(QueueFilter())]
    assert ids == ["c1", "c2", "c3"]
    assert [s.case_id for s in await store.queue(QueueFilter(scam_type="romance_scam"))] == [
        "c2"]
    assert [s.case_id for s in await store.queue(QueueFilter(
        statuses=frozenset({CaseStatus.RECEIVED}), min_loss_eur=60, max_loss_eur=200))] == [
        "c1"]
    assert [s.case_id for s in await store.queue(QueueFilter(limit=1))] == ["c1"]
    assert await store.changed_before(T0 + timedelta(minutes=2)) == ["c1"]
    assert len(await store.summaries()) == 3
    assert (await store.summary("c2")) == summary(2, set(), loss=5000, scam="romance_scam")


async def test_drafts_and_pending(store: TheseeStore) -> None:
    draft = Draft("d1", "cit-a", T0, T0, {"scam_type": "blackmail"})
    await store.put_draft(draft)
    await store.put_draft(Draft("d2", "cit-b", T0, T0 + timedelta(seconds=1), {}))
    assert await store.draft("d1") == draft
    later = Draft("d1", "cit-a", T0, T0 + timedelta(seconds=5), {"mode": "report"})
    await store.put_draft(later)
    assert await store.drafts_of(frozenset({"cit-a", "cit-b"})) == [
        later, Draft("d2", "cit-b", T0, T0 + timedelta(seconds=1), {})]
    await store.delete_draft("d1")
    assert await store.draft("d1") is None
    pending = PendingValidation("c1", "r1", T0)
    await store.put_pending(pending)
    assert await store.pending("c1") == pending
    await store.delete_pending("c1")
    assert await store.pending("c1") is None


async def test_sqlite_file_is_private_and_durable(tmp_path: Path) -> None:
    path = tmp_path / "thesee.db"
    first = SqliteTheseeStore(path)
    await first.open()
    await first.put_summary(summary(1, {"iban:A"}))
    await first.put_summary(summary(2, {"iban:A"}))
    await first.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = SqliteTheseeStore(path)
    await again.open()
    assert await again.linked(["c1"]) == {"c1": ["c2"]}
    await again.close()
