"""History pages: the messages one frame carries, bounded in count and in encoded bytes.

``conversation:resume`` walks forward from a seq (oldest first), ``conversation:history``
and ``conversation:assigned`` walk back from the newest; either way a page holds at
least one message, at most ``limit`` (by default as many as fit) and no more bytes than
the frame budget (what the link accepts, less room for the rest of the frame), and
``has_more`` says whether the walk can go on. A history that fits in one frame therefore
comes whole, as it always did; only a larger one is split. Messages are spelled as on
the wire and measured as compact JSON, which msgpack never exceeds.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from rtc_gateway.domain.message import Message
from rtc_gateway.gateway.wire import message_wire

MAX_PAGE_MESSAGES = 1000
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
    def __init__(self, max_bytes: int, max_count: int = MAX_PAGE_MESSAGES) -> None:
        self.max_bytes = max_bytes
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
        page = self._fill((messages[index] for index in range(start, len(messages))), limit)
        return HistoryPage(page, start + len(page) < len(messages))

    def before(self, messages: Sequence[Message], before_seq: int | None = None,
               limit: int | None = None) -> HistoryPage:
        """The newest messages with ``seq < before_seq`` (all when ``None``), in seq
        order: ``has_more`` when older ones did not fit (ask again before the page's
        first seq)."""
        end = len(messages) if before_seq is None else bisect_left(messages, before_seq,
                                                                   key=_seq)
        page = self._fill((messages[index] for index in range(end - 1, -1, -1)), limit)
        page.reverse()
        return HistoryPage(page, end - len(page) > 0)

    def _fill(self, ordered: Iterable[Message], limit: int | None = None
              ) -> list[dict[str, Any]]:
        """Wire messages taken in ``ordered``'s order while they fit: at most ``limit``
        (all that fit the byte budget when ``None``), and always at least one."""
        count = self.max_count if limit is None else max(1, min(limit, self.max_count))
        page: list[dict[str, Any]] = []
        used = 0
        for message in ordered:
            if len(page) >= count:
                break
            wire = message_wire(message)
            size = len(_encoder.encode(wire)) + 1
            if page and used + size > self.max_bytes:
                break
            page.append(wire)
            used += size
        return page
