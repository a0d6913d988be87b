"""Fixtures every test folder may use: private Redis and PostgreSQL servers for the run."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.support.databases import throwaway_database
from tests.support.services import postgres_server, redis_server


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """One throwaway Redis for the whole run (tests keep their keys apart)."""
    with redis_server() as url:
        yield url


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """One throwaway PostgreSQL cluster for the whole run."""
    with postgres_server() as url:
        yield url


@pytest.fixture
async def fresh_database(database_url: str) -> AsyncIterator[str]:
    """A database of its own on the run's cluster for one test, dropped afterwards."""
    async with throwaway_database(database_url) as url:
        yield url
