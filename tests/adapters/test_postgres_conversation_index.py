"""The supervisors' search over the PostgreSQL evidence log finds what SQLite's finds."""

from datetime import timedelta
from pathlib import Path

from rtc_gateway.adapters.postgres.conversation_index import PostgresConversationIndex
from rtc_gateway.adapters.postgres.evidence_log import PostgresEvidenceLog
from rtc_gateway.ports.conversation_index import IndexQuery
from rtc_gateway.ports.evidence_log import EvidenceEntry, RecordKind
from tests.adapters.test_postgres_evidence_log import make_pg_log
from tests.evidence.support import ManualClock


async def opened(log: PostgresEvidenceLog, clock: ManualClock, cid: str, topic: str) -> None:
    clock.advance(timedelta(minutes=1))
    await log.append(EvidenceEntry(cid, RecordKind.CONVERSATION_OPENED, "citizen", "c1",
                                   clock.now(), data={"topic": topic, "service": "police",
                                                      "priority": "normal"}))


async def test_search_by_prefix_topic_state_and_date(fresh_database: str, tmp_path: Path) -> None:
    clock = ManualClock()
    log = make_pg_log(fresh_database, tmp_path, clock)
    await log.start()
    try:
        await opened(log, clock, "cv_alpha", "general")
        await log.append(EvidenceEntry("cv_alpha", RecordKind.MESSAGE, "citizen", "c1",
                                       clock.now(), seq=1, client_msg_id="m1",
                                       text="Mon vélo a été volé"))
        await log.append(EvidenceEntry("cv_alpha", RecordKind.CLOSED, "agent", "a1",
                                       clock.now()))
        await opened(log, clock, "cv_beta", "property")
        index = PostgresConversationIndex(log)

        everything = await index.search(IndexQuery())
        assert [c.conversation_id for c in everything] == ["cv_beta", "cv_alpha"]
        alpha = everything[1]
        assert (alpha.closed, alpha.first_text, alpha.topic) == (
            True, "Mon vélo a été volé", "general")
        assert [c.conversation_id for c in await index.search(IndexQuery(id_prefix="cv_al"))] \
            == ["cv_alpha"]
        assert [c.conversation_id for c in await index.search(IndexQuery(id_prefix="cv_%"))] \
            == [], "a prefix is text, not a pattern"
        assert [c.conversation_id for c in await index.search(IndexQuery(topic="property"))] \
            == ["cv_beta"]
        assert [c.conversation_id for c in await index.search(IndexQuery(closed=False))] \
            == ["cv_beta"]
        later = await index.search(IndexQuery(opened_from=alpha.opened_at + timedelta(seconds=1)))
        assert [c.conversation_id for c in later] == ["cv_beta"]
        assert len(await index.search(IndexQuery(limit=1))) == 1
    finally:
        await log.close()
