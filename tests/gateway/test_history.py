"""History pages on their own: count and byte bounds, both directions, the edges."""

from datetime import UTC, datetime

import msgspec

from rtc_gateway.domain.message import Message, Sender
from rtc_gateway.gateway.history import HistoryPager

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def history(count: int, text: str = "x") -> list[Message]:
    return [Message("cv", seq, Sender.CITIZEN, text, NOW, f"m{seq}")
            for seq in range(1, count + 1)]


def encoded(page: list[dict[str, object]]) -> int:
    return len(msgspec.json.encode(page))


def test_pages_stop_at_the_byte_budget_and_always_hold_one_message() -> None:
    messages = history(50, "字" * 4000)
    pager = HistoryPager(max_bytes=40_000)
    forward = pager.after(messages, 0)
    assert [m["seq"] for m in forward.messages] == [1, 2, 3]
    assert encoded(forward.messages) <= 40_000 and forward.has_more
    backward = pager.before(messages)
    assert [m["seq"] for m in backward.messages] == [48, 49, 50]
    assert backward.has_more
    tiny = HistoryPager(max_bytes=10)
    assert [m["seq"] for m in tiny.after(messages, 7).messages] == [8]
    assert [m["seq"] for m in tiny.before(messages, 8).messages] == [7]


def test_pages_follow_the_count_and_the_ends() -> None:
    messages = history(10)
    pager = HistoryPager(max_bytes=1 << 20, max_count=6)
    assert [m["seq"] for m in pager.after(messages, 0, limit=4).messages] == [1, 2, 3, 4]
    assert [m["seq"] for m in pager.after(messages, 0, limit=100).messages] == list(
        range(1, 7))
    assert [m["seq"] for m in pager.after(messages, 0).messages] == list(range(1, 7))
    assert [m["seq"] for m in HistoryPager(1 << 20).after(messages, 0).messages] == list(
        range(1, 11)), "without a limit, a history that fits comes whole"
    last = pager.after(messages, 8)
    assert [m["seq"] for m in last.messages] == [9, 10] and not last.has_more
    assert pager.after(messages, 10).messages == [] and not pager.after(messages, 10).has_more
    first = pager.before(messages, 3)
    assert [m["seq"] for m in first.messages] == [1, 2] and not first.has_more
    assert pager.before(messages, 1).messages == []
    assert pager.before([], None).messages == [] and not pager.before([]).has_more


def test_a_whole_walk_returns_every_message_once() -> None:
    messages = history(237, "é" * 300)
    pager = HistoryPager(max_bytes=5_000)
    seen: list[int] = []
    after, more = 0, True
    while more:
        page = pager.after(messages, after)
        seen += [m["seq"] for m in page.messages]
        after, more = seen[-1], page.has_more
    assert seen == list(range(1, 238))
    back: list[int] = []
    before: int | None = None
    more = True
    while more:
        page = pager.before(messages, before)
        back = [m["seq"] for m in page.messages] + back
        before, more = back[0], page.has_more
    assert back == seen
