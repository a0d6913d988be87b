"""Fixtures every test folder may use: private Redis and PostgreSQL servers for the run."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

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
