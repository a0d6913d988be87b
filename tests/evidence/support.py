"""Shared test parts: a clock the test moves, and a populated data directory."""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.evidence.commands import EvidencePaths
from rtc_gateway.ports.evidence_log import EvidenceEntry, RecordKind

ORIGIN = "rtc-gateway.test/evidence"


class ManualClock:
    """A real Clock whose time the test sets."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
        self.mono = 0.0

    def now(self) -> datetime:
        return self.current

    def monotonic(self) -> float:
        return self.mono

    def advance(self, delta: timedelta) -> None:
        self.current += delta
        self.mono += delta.total_seconds()


def make_log(
    data_dir: Path, clock: ManualClock | None = None, interval: float = 0, writer: str = "thread"
) -> SqliteEvidenceLog:
    paths = EvidencePaths.of(data_dir)
    return SqliteEvidenceLog(paths.db, paths.key, ORIGIN, clock or ManualClock(), interval,
                             writer=writer)


@dataclass
class Conversation:
    id: str
    messages: int
    recording: Path


async def populate(log: SqliteEvidenceLog, data_dir: Path, clock: ManualClock) -> Conversation:
    """One conversation with messages, a video call and its recording, closed;
    and a second conversation interleaved with it."""
    media = b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 40
    recording = EvidencePaths.of(data_dir).recordings / "conv-1" / "room-1-citizen.webm"
    recording.parent.mkdir(parents=True, exist_ok=True)
    recording.write_bytes(media)
    sums = f"{hashlib.sha256(media).hexdigest()}  room-1-citizen.webm\n".encode()
    (recording.parent / "SHA256SUMS").write_bytes(sums)

    def entry(cid: str, kind: str, role: str, actor: str, **kw: object) -> EvidenceEntry:
        clock.advance(timedelta(seconds=1))
        return EvidenceEntry(cid, kind, role, actor, clock.now(), **kw)  # type: ignore[arg-type]

    log.append(
        entry(
            "conv-1",
            RecordKind.CONVERSATION_OPENED,
            "citizen",
            "cit-A",
            data={"topic": "violences", "discreet": True},
        )
    )
    log.append(
        entry("conv-2", RecordKind.CONVERSATION_OPENED, "citizen", "cit-B", data={"topic": "vol"})
    )
    log.append(entry("conv-1", RecordKind.ASSIGNED, "system", "router", data={"agent": "agt-7"}))
    texts = [
        "Bonjour",
        "Il me menace <script>alert(1)</script>",
        "Je suis chez moi",
        "Nous arrivons.",
        "Merci 🙏",
    ]
    for seq, text in enumerate(texts, start=1):
        role, actor = ("citizen", "cit-A") if seq % 2 else ("agent", "agt-7")
        log.append(
            entry(
                "conv-1",
                RecordKind.MESSAGE,
                role,
                actor,
                seq=seq,
                client_msg_id=f"m-{seq}",
                text=text,
            )
        )
        log.append(
            entry(
                "conv-2",
                RecordKind.MESSAGE,
                "citizen",
                "cit-B",
                seq=seq,
                client_msg_id=f"x-{seq}",
                text=f"autre {seq}",
            )
        )
    log.append(
        entry("conv-1", RecordKind.VIDEO_STARTED, "agent", "agt-7", data={"room_id": "room-1"})
    )
    log.append(
        entry(
            "conv-1",
            RecordKind.VIDEO_ENDED,
            "system",
            "gateway",
            data={
                "room_id": "room-1",
                "recordings": [
                    {
                        "participant": "citizen",
                        "path": "conv-1/room-1-citizen.webm",
                        "sha256": hashlib.sha256(media).hexdigest(),
                        "bytes": len(media),
                        "duration_s": 12.5,
                    }
                ],
                "recording": {
                    "sha256": hashlib.sha256(sums).hexdigest(),
                    "bytes": len(media),
                    "duration_s": 12.5,
                },
                "manifest": "conv-1/SHA256SUMS",
            },
        )
    )
    await log.append(
        entry("conv-1", RecordKind.CLOSED, "agent", "agt-7", data={"reason": "resolved"})
    )
    return Conversation("conv-1", len(texts), recording)
