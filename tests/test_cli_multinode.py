"""``rtc-gateway migrate`` and the several-node settings of ``serve``, as real subprocesses."""

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from rtc_gateway.adapters.postgres.schema import MIGRATIONS
from tests.support.gateway_process import free_port


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RTC_GATEWAY_")}
    return subprocess.run([sys.executable, "-m", "rtc_gateway", *args], capture_output=True,
                          text=True, timeout=60, env={**clean, **(env or {})})


async def _admin(url: str, sql: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


@pytest.fixture
def empty_database(database_url: str) -> Iterator[str]:
    name = f"migrate_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(database_url, f'CREATE DATABASE "{name}"'))
    try:
        yield database_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(_admin(database_url, f'DROP DATABASE "{name}" WITH (FORCE)'))


async def _schema(url: str) -> tuple[int, set[str]]:
    connection = await asyncpg.connect(url)
    try:
        version = await connection.fetchval("SELECT max(version) FROM schema_migrations")
        tables = {row[0] for row in await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        return int(version), tables
    finally:
        await connection.close()


def test_migrate_applies_the_schema_once_and_is_safe_to_repeat(empty_database: str) -> None:
    first = run_cli("migrate", "--database-url", empty_database)
    assert first.returncode == 0, first.stderr
    assert f"version {len(MIGRATIONS)}" in first.stdout
    version, tables = asyncio.run(_schema(empty_database))
    assert version == len(MIGRATIONS)
    assert {"evidence_records", "evidence_tree", "evidence_checkpoints"} <= tables
    again = run_cli("migrate", env={"RTC_GATEWAY_DATABASE_URL": empty_database})
    assert again.returncode == 0, again.stderr
    assert asyncio.run(_schema(empty_database))[0] == len(MIGRATIONS)


def test_migrate_refuses_a_schema_newer_than_the_code(empty_database: str) -> None:
    assert run_cli("migrate", "--database-url", empty_database).returncode == 0
    asyncio.run(_admin(empty_database, f"INSERT INTO schema_migrations (version)"
                                       f" VALUES ({len(MIGRATIONS) + 1})"))
    newer = run_cli("migrate", "--database-url", empty_database)
    assert newer.returncode == 1
    assert "upgrade" in newer.stderr and "Traceback" not in newer.stderr


def test_migrate_says_so_when_the_database_is_unreachable() -> None:
    url = f"postgresql://postgres:s3cret@127.0.0.1:{free_port()}/postgres"
    result = run_cli("migrate", "--database-url", url)
    assert result.returncode == 1
    assert "unreachable" in result.stderr
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr


@pytest.mark.parametrize("args", [(), ("--database-url", "mysql://db/x"),
                                  ("--database-url", "postgresql://h:notaport/x")])
def test_migrate_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    result = run_cli("migrate", *args)
    assert result.returncode == 2, result.stderr
    assert "error" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("flags, env", [
    (("--redis-url", "redis://127.0.0.1:1/0"), {}),
    ((), {"RTC_GATEWAY_DATABASE_URL": "postgresql://127.0.0.1:1/x"}),
    (("--redis-url", "http://x", "--database-url", "postgresql://127.0.0.1:1/x"), {}),
])
def test_serve_wants_both_shared_services_or_neither(
        flags: tuple[str, ...], env: dict[str, str], tmp_path: Path) -> None:
    result = run_cli("serve", "--data-dir", str(tmp_path), "--port", str(free_port()), *flags,
                     env=env)
    assert result.returncode == 2
    assert "redis_url" in result.stderr and "Traceback" not in result.stderr


def test_serve_exits_1_naming_redis_when_it_does_not_answer(tmp_path: Path) -> None:
    result = run_cli("serve", "--data-dir", str(tmp_path), "--port", str(free_port()),
                     "--redis-url", f"redis://127.0.0.1:{free_port()}/0",
                     "--database-url", f"postgresql://127.0.0.1:{free_port()}/x")
    assert result.returncode == 1
    assert "Redis did not answer" in result.stderr and "Traceback" not in result.stderr


def test_serve_exits_1_naming_the_database_when_it_does_not_answer(
        tmp_path: Path, redis_url: str) -> None:
    result = run_cli("serve", "--data-dir", str(tmp_path), "--port", str(free_port()),
                     "--redis-url", redis_url,
                     "--database-url", f"postgresql://127.0.0.1:{free_port()}/x",
                     env={"RTC_GATEWAY_NODE_ID": f"lonely-{uuid.uuid4().hex[:8]}"})
    assert result.returncode == 1
    assert "evidence database is unreachable" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [
    ("export", "--conversation", "cv_1", "--out", "x.zip"),
    ("erase-expired", "--older-than-days", "30"),
    ("conversations", "list"),
])
def test_evidence_commands_never_create_a_log_in_an_empty_database(
        command: tuple[str, ...], empty_database: str, tmp_path: Path) -> None:
    result = run_cli(*command, "--data-dir", str(tmp_path), "--database-url", empty_database)
    assert result.returncode == 2, result.stderr
    assert "no evidence log in that PostgreSQL database" in result.stderr
    assert "evidence_records" not in asyncio.run(_tables(empty_database))
    assert not (tmp_path / "keys").exists(), "nor a key"


async def _tables(url: str) -> set[str]:
    connection = await asyncpg.connect(url)
    try:
        return {row[0] for row in await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    finally:
        await connection.close()


@pytest.mark.parametrize("command", [
    ("export", "--conversation", "cv_1", "--out", "x.zip"),
    ("erase-expired", "--older-than-days", "30"),
    ("token", "revoke", "--id", "P-1"),
])
def test_evidence_commands_say_so_when_the_database_is_unreachable(
        command: tuple[str, ...], tmp_path: Path) -> None:
    url = f"postgresql://postgres:s3cret@127.0.0.1:{free_port()}/postgres"
    result = run_cli(*command, "--data-dir", str(tmp_path), env={
        "RTC_GATEWAY_DATABASE_URL": url})  # the variable alone, without a Redis URL
    assert result.returncode == 1, result.stderr
    assert "unreachable" in result.stderr
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr


def test_a_database_url_that_is_not_postgresql_is_a_usage_error(tmp_path: Path) -> None:
    for command in (("export", "--conversation", "cv_1", "--out", "x.zip"),
                    ("token", "revoke", "--id", "P-1")):
        result = run_cli(*command, "--data-dir", str(tmp_path), "--database-url", "mysql://x/y")
        assert result.returncode == 2 and "postgresql://" in result.stderr, result.stderr
