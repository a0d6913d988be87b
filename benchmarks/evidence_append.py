"""Throughput of the evidence log's append path: group commit vs one fsync per record.

    .venv/bin/python benchmarks/evidence_append.py [--records 100000] [--in-flight 500]
        [--single 2000] [--dir PATH]

group commit: ``--in-flight`` appends are kept outstanding (like that many chat
messages awaiting their acknowledgement), so the writer takes whatever is queued in one
transaction. One fsync per record: each append is awaited before the next is made, so
every transaction holds one record. Also reports the event loop's worst stall while
appending (the blocking SQLite work runs on a thread) and the records per batch.
"""

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.ports.evidence_log import EvidenceEntry, RecordKind

TEXT = "Bonjour, je voudrais signaler un vol de vélo devant la gare, il y a dix minutes."


def entry(i: int, conversations: int) -> EvidenceEntry:
    cid = f"conv-{i % conversations}"
    seq = i // conversations + 1
    return EvidenceEntry(
        cid, RecordKind.MESSAGE, "citizen", f"cit-{cid}", datetime.now(UTC),
        seq=seq, client_msg_id=f"{cid}-{seq}", text=TEXT,
    )


async def stall_probe(stop: asyncio.Event, stalls: list[float]) -> None:
    """Worst delay of a 1 ms timer: how long the loop was kept from running."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(0.001)
        stalls.append(loop.time() - before - 0.001)


async def group_commit(log: SqliteEvidenceLog, records: int, in_flight: int) -> dict[str, Any]:
    stalls: list[float] = []
    stop = asyncio.Event()
    probe = asyncio.create_task(stall_probe(stop, stalls))
    batches = log.batches_committed
    latencies: list[float] = []
    counter = iter(range(records))

    async def worker() -> None:
        for i in counter:
            start = time.perf_counter()
            await log.append(entry(i, 1000))
            latencies.append(time.perf_counter() - start)

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    stop.set()
    await probe
    latencies.sort()
    return {
        "mode": "group commit",
        "records": records,
        "in_flight": in_flight,
        "seconds": round(elapsed, 3),
        "records_per_s": round(records / elapsed),
        "cpu_us_per_record": round(cpu / records * 1e6, 1),
        "transactions": log.batches_committed - batches,
        "records_per_transaction": round(records / max(1, log.batches_committed - batches), 1),
        "ack_latency_p50_ms": round(latencies[len(latencies) // 2] * 1000, 2),
        "ack_latency_p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 2),
        "loop_stall_max_ms": round(max(stalls) * 1000, 2),
        "loop_stall_median_ms": round(statistics.median(stalls) * 1000, 3),
    }


async def one_per_transaction(log: SqliteEvidenceLog, records: int) -> dict[str, Any]:
    batches = log.batches_committed
    start, cpu = time.perf_counter(), time.process_time()
    for i in range(records):
        await log.append(entry(i, 1000))
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {
        "mode": "one fsync per record",
        "records": records,
        "in_flight": 1,
        "seconds": round(elapsed, 3),
        "records_per_s": round(records / elapsed),
        "cpu_us_per_record": round(cpu / records * 1e6, 1),
        "transactions": log.batches_committed - batches,
        "records_per_transaction": 1.0,
    }


async def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    base = Path(tempfile.mkdtemp(prefix="evidence-bench-", dir=args.dir))
    results = []
    for name, job in (
        ("group", lambda log: group_commit(log, args.records, args.in_flight)),
        ("single", lambda log: one_per_transaction(log, args.single)),
    ):
        folder = base / name
        log = SqliteEvidenceLog(
            folder / "evidence.db", folder / "keys" / "log-signing.key",
            "rtc-gateway.bench/evidence", SystemClock(), checkpoint_interval_s=60,
        )
        await log.start()
        try:
            results.append(await job(log))
        finally:
            await log.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--in-flight", type=int, default=500)
    parser.add_argument("--single", type=int, default=2_000)
    parser.add_argument("--dir", help="folder for the databases (default: the temp folder)")
    parser.add_argument("--json", action="store_true", help="print JSON lines only")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    for result in results:
        if args.json:
            print(json.dumps(result))
        else:
            print(", ".join(f"{k}={v}" for k, v in result.items()))


if __name__ == "__main__":
    main()
