"""Supervisors find a conversation by the reference the citizen quotes or by its id."""

from datetime import UTC, datetime

from rtc_gateway.adapters.memory.conversation_index import MemoryConversationIndex
from rtc_gateway.adapters.memory.conversation_store import MemoryConversationStore
from rtc_gateway.adapters.memory.evidence_log import MemoryEvidenceLog
from rtc_gateway.adapters.memory.routing_state import MemoryRoutingState
from rtc_gateway.domain.reference import as_reference, conversation_reference
from rtc_gateway.ports.evidence_log import EvidenceEntry, RecordKind
from rtc_gateway.services.conversation_search import ConversationSearch, SearchRequest

IDS = ("cv_ABCDEFGHjk", "cv_zz9_other", "cv_WXYZ2345mn")


async def searcher() -> ConversationSearch:
    log = MemoryEvidenceLog()
    await log.start()
    for cid in IDS:
        await log.append(EvidenceEntry(cid, RecordKind.CONVERSATION_OPENED, "citizen", "c1",
                                       datetime(2026, 12, 1, 9, tzinfo=UTC),
                                       data={"topic": "general"}))
    return ConversationSearch(MemoryConversationIndex(log), MemoryConversationStore(),
                              MemoryRoutingState())


async def found(search: ConversationSearch, text: str) -> list[str]:
    return [f.indexed.conversation_id for f in await search.search(SearchRequest(text=text))]


async def test_a_reference_in_any_spelling_finds_its_conversation() -> None:
    search = await searcher()
    quoted = conversation_reference("cv_zz9_other")
    for spelled in (quoted, quoted.lower(), quoted.replace("-", ""), f" {quoted} "):
        assert await found(search, spelled) == ["cv_zz9_other"]


async def test_eight_symbols_that_start_an_id_still_find_it() -> None:
    """``ABCDEFGH`` reads as a reference too: both readings are searched."""
    search = await searcher()
    assert as_reference("ABCDEFGH") is not None
    assert await found(search, "ABCDEFGH") == ["cv_ABCDEFGHjk"]
    assert await found(search, "cv_WXYZ") == ["cv_WXYZ2345mn"]
    assert await found(search, "nothing") == []


def test_only_the_reference_alphabet_reads_as_a_reference() -> None:
    assert as_reference("k7qd-9xmf") == "K7QD-9XMF"
    assert as_reference("K7QD-9XM0") is None, "0 is not in the alphabet"
    assert as_reference("K7QD9XM") is None
