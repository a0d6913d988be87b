"""The throwaway servers the multi-node tests run against answer like real ones."""

import asyncpg
import redis.asyncio as redis


async def test_redis_answers(redis_url: str) -> None:
    client = redis.from_url(redis_url)
    try:
        await client.set("rtc:probe", "1")
        assert await client.get("rtc:probe") == b"1"
    finally:
        await client.delete("rtc:probe")
        await client.aclose()


async def test_postgres_answers_and_commits(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("CREATE TABLE IF NOT EXISTS probe (n int)")
        await connection.execute("INSERT INTO probe VALUES (1)")
        assert await connection.fetchval("SELECT count(*) FROM probe") >= 1
        assert await connection.fetchval("SHOW fsync") == "on"
    finally:
        await connection.execute("DROP TABLE probe")
        await connection.close()
