"""Link lookups of the THESEE index at scale: how long a reviewer waits for the
``linked`` cases of one case, and for its series, with 100,000 cases indexed.

    .venv/bin/python benchmarks/thesee_links.py [--cases 100000] [--lookups 2000]
        [--store sqlite|memory] [--dir PATH]

Cases get 2 to 4 identifiers each, drawn from a pool sized so that most cases share
nothing and a few identifiers recur (a scam's IBAN reported by several victims): the
shape of real reports. Measures the summary+index insert rate, then ``linked`` for
one case at a time (p50, p99, max) and ``series`` for the same cases.
"""

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from rtc_gateway.adapters.memory.thesee_store import MemoryTheseeStore
from rtc_gateway.adapters.sqlite.thesee_store import SqliteTheseeStore
from rtc_gateway.domain.cases import CaseStatus
from rtc_gateway.domain.thesee.figures import desk_figures
from rtc_gateway.domain.thesee.series import all_series
from rtc_gateway.domain.thesee.summary import CaseSummary
from rtc_gateway.ports.thesee_store import TheseeStore

KINDS = ("iban", "domain", "phone", "email", "wallet", "pseudonym")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def keys_for(rng: random.Random, pool: int) -> frozenset[str]:
    """Mostly fresh identifiers; one in five from a small pool of recurring ones."""
    keys = set()
    for _ in range(rng.randint(2, 4)):
        kind = rng.choice(KINDS)
        value = rng.randrange(pool // 50) if rng.random() < 0.2 else rng.randrange(pool * 10)
        keys.add(f"{kind}:{value}")
    return frozenset(keys)


def summary(i: int, keys: frozenset[str]) -> CaseSummary:
    at = T0 + timedelta(seconds=i * 30)
    return CaseSummary(f"case-{i:07d}", KINDS[i % 6], "report", CaseStatus.RECEIVED,
                       float(i % 5000), at, at, None, keys)


def quantiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 3),
            "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
            "max_ms": round(ordered[-1] * 1000, 3)}


async def run(store: TheseeStore, cases: int, lookups: int) -> dict[str, Any]:
    rng = random.Random(13616)
    await store.open()
    started = time.perf_counter()
    for i in range(cases):
        await store.put_summary(summary(i, keys_for(rng, cases)))
    insert_s = time.perf_counter() - started
    picked = [f"case-{rng.randrange(cases):07d}" for _ in range(lookups)]
    linked, series, sizes = [], [], []
    for case_id in picked:
        t = time.perf_counter()
        found = await store.linked([case_id])
        linked.append(time.perf_counter() - t)
        t = time.perf_counter()
        members = await store.series(case_id)
        series.append(time.perf_counter() - t)
        sizes.append(len(members))
        assert case_id in members and not set(found[case_id]) - set(members)
    t = time.perf_counter()
    summaries = await store.summaries()
    series_all = all_series(await store.pairs(), (s.case_id for s in summaries))
    figures = desk_figures(summaries, series_all, T0 + timedelta(days=365))
    figures_s = time.perf_counter() - t
    await store.close()
    return {"cases": cases, "lookups": lookups,
            "inserts_per_s": round(cases / insert_s), "linked": quantiles(linked),
            "series": quantiles(series), "series_size_max": max(sizes),
            "series_size_median": statistics.median(sizes),
            "figures_s": round(figures_s, 3), "series_by_size": figures["series_by_size"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--store", choices=["sqlite", "memory"], default="sqlite")
    parser.add_argument("--dir", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        store: TheseeStore = (SqliteTheseeStore(Path(tmp) / "thesee.db")
                              if args.store == "sqlite" else MemoryTheseeStore())
        result = asyncio.run(run(store, args.cases, args.lookups))
    print(json.dumps({"store": args.store, **result}, indent=2))


if __name__ == "__main__":
    main()
