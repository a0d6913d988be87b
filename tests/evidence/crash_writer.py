"""Appends messages through SqliteEvidenceLog as fast as it can, printing each
acknowledged record as ``index conversation seq``; meant to be killed with SIGKILL.

Usage: python crash_writer.py DATA_DIR [SECONDS] [thread|process]
"""

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.evidence.commands import EvidencePaths
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.ports.evidence_log import EvidenceEntry, RecordKind

ORIGIN = "rtc-gateway.test/evidence"
CONVERSATIONS = [f"conv-{i}" for i in range(8)]


async def main(data_dir: Path, seconds: float, writer: str) -> None:
    paths = EvidencePaths.of(data_dir)
    log = SqliteEvidenceLog(paths.db, paths.key, ORIGIN, SystemClock(), checkpoint_interval_s=0.1,
                            writer=writer)
    await log.start()
    next_seq = {}
    for cid in CONVERSATIONS:
        messages = await log.messages_after(cid, 0)
        next_seq[cid] = (messages[-1].seq or 0) + 1 if messages else 1
    out = sys.stdout
    deadline = asyncio.get_running_loop().time() + seconds

    async def producer(cid: str) -> None:
        while asyncio.get_running_loop().time() < deadline:
            window = []
            for _ in range(50):
                seq = next_seq[cid]
                next_seq[cid] += 1
                window.append(
                    log.append(
                        EvidenceEntry(
                            cid,
                            RecordKind.MESSAGE,
                            "citizen",
                            "cit-" + cid,
                            datetime.now(UTC),
                            seq=seq,
                            client_msg_id=f"{cid}-{seq}",
                            text=f"message {seq} de {cid}",
                        )
                    )
                )
            for future in window:
                record = await future
                out.write(f"{record.index} {record.conversation_id} {record.seq}\n")
            out.flush()

    print("ready", flush=True)
    await asyncio.gather(*(producer(cid) for cid in CONVERSATIONS))
    await log.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 30.0,
                     sys.argv[3] if len(sys.argv) > 3 else "thread"))
