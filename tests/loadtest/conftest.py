"""A gateway process of its own for each load-tool test that drives one."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from loadtest.targets import Server, start_server


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[Server]:
    running = start_server("gateway", "json", data_dir=tmp_path / "gateway")
    try:
        yield running
    finally:
        running.stop()
