"""Coroutines stepped without a task behave as they would in one."""

import asyncio

from rtc_gateway.realtime.eager import start_eagerly


async def test_runs_at_once_up_to_the_first_wait_then_resumes_on_the_future() -> None:
    loop = asyncio.get_running_loop()
    gate: asyncio.Future[int] = loop.create_future()
    seen: list[object] = []

    async def handler() -> None:
        seen.append("started")
        seen.append(await gate)
        await asyncio.sleep(0)
        seen.append("after a bare yield")
        try:
            await asyncio.ensure_future(failing())
        except ValueError as error:
            seen.append(str(error))

    async def failing() -> None:
        raise ValueError("raised in a task it awaited")

    start_eagerly(handler())
    assert seen == ["started"], "runs in the caller's turn"
    gate.set_result(7)
    for _ in range(5):
        await asyncio.sleep(0)
    assert seen == ["started", 7, "after a bare yield", "raised in a task it awaited"]


async def test_a_failing_coroutine_is_logged_not_raised(caplog) -> None:  # type: ignore[no-untyped-def]
    async def broken() -> None:
        await asyncio.sleep(0)
        raise RuntimeError("boom")

    start_eagerly(broken())
    await asyncio.sleep(0.01)
    assert "event coroutine failed" in caplog.text
