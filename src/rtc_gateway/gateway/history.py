"""History pages: the messages one frame carries, bounded in count and in encoded bytes.

``conversation:resume`` walks forward from a seq (oldest first), ``conversation:history``
and ``conversation:assigned`` walk back from the newest; either way a page holds at
least one message, at most ``limit`` and no more bytes than the frame budget (what the
link accepts, less room for the rest of the frame), and ``has_more`` says whether the
walk can go on. Messages are spelled as on the wire and measured as compact JSON, which
msgpack never exceeds.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from rtc_gateway.domain.message import Message
from rtc_gateway.gateway.wire import message_wire

DEFAULT_PAGE_MESSAGES = 100
MAX_PAGE_MESSAGES = 200
FRAME_RESERVE_BYTES = 8 * 1024
"""Room left in a frame for the packet head, the ack fields and the conversation."""

_encoder = msgspec.json.Encoder()


@dataclass(frozen=True, slots=True)
class HistoryPage:
    messages: list[dict[str, Any]]
    """Wire messages in seq order."""
    has_more: bool


def _seq(message: Message) -> int:
    return message.seq


class HistoryPager:
    def __init__(self, max_bytes: int, default_count: int = DEFAULT_PAGE_MESSAGES,
                 max_count: int = MAX_PAGE_MESSAGES) -> None:
        self.max_bytes = max_bytes
        self.default_count = default_count
        self.max_count = max_count

    @classmethod
    def for_frames_of(cls, max_frame_bytes: int) -> "HistoryPager":
        """Pages that fit, with the rest of their frame, in ``max_frame_bytes``."""
        return cls(max(max_frame_bytes - FRAME_RESERVE_BYTES, max_frame_bytes // 2))

    def after(self, messages: Sequence[Message], after_seq: int,
              limit: int | None = None) -> HistoryPage:
        """The oldest messages with ``seq > after_seq``: ``has_more`` when later ones
        did not fit (ask again after the page's last seq)."""
        start = bisect_right(messages, after_seq, key=_seq)
        count = self._count(limit)
        page: list[dict[str, Any]] = []
        used = 0
        index = start
        while index < len(messages) and len(page) < count:
            wire = message_wire(messages[index])
            size = len(_encoder.encode(wire)) + 1
            if page and used + size > self.max_bytes:
                break
            page.append(wire)
            used += size
            index += 1
        return HistoryPage(page, index < len(messages))

    def before(self, messages: Sequence[Message], before_seq: int | None = None,
               limit: int | None = None) -> HistoryPage:
        """The newest messages with ``seq < before_seq`` (all when ``None``), in seq
        order: ``has_more`` when older ones did not fit (ask again before the page's
        first seq)."""
        end = len(messages) if before_seq is None else bisect_left(messages, before_seq,
                                                                   key=_seq)
        count = self._count(limit)
        page: list[dict[str, Any]] = []
        used = 0
        index = end
        while index > 0 and len(page) < count:
            wire = message_wire(messages[index - 1])
            size = len(_encoder.encode(wire)) + 1
            if page and used + size > self.max_bytes:
                break
            page.append(wire)
            used += size
            index -= 1
        page.reverse()
        return HistoryPage(page, index > 0)

    def _count(self, limit: int | None) -> int:
        return self.default_count if limit is None else max(1, min(limit, self.max_count))
