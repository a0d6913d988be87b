"""Readiness: names what does not answer, bounds each probe, and probes at most once per
interval however often /healthz is asked."""

import asyncio

from rtc_gateway.gateway.readiness import Readiness


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_failed_and_silent_checks_are_named_and_answers_are_reused() -> None:
    calls = {"redis": 0, "database": 0}
    redis_up = True

    async def redis() -> bool:
        calls["redis"] += 1
        return redis_up

    async def database() -> bool:
        calls["database"] += 1
        await asyncio.sleep(10)
        return True

    clock = Clock()
    readiness = Readiness({"redis": redis, "database": database}, clock, timeout_s=0.05,
                          reuse_s=0.5)
    answers = await asyncio.gather(*(readiness.unreachable() for _ in range(20)))
    assert all(answer == ["database"] for answer in answers)
    assert calls == {"redis": 1, "database": 1}
    redis_up = False
    clock.now = 0.4
    assert await readiness.unreachable() == ["database"]
    clock.now = 0.6
    assert await readiness.unreachable() == ["redis", "database"]
    assert calls == {"redis": 2, "database": 2}
