"""The serving lock of the SQLite evidence log: one exclusive holder, released on close,
never taken by the command-line tools."""

from pathlib import Path

import pytest

from rtc_gateway.adapters.sqlite.evidence_log import SqliteEvidenceLog
from rtc_gateway.evidence.commands import EvidencePaths
from rtc_gateway.ports.evidence_log import EvidenceLogInUse
from tests.evidence.support import ORIGIN, ManualClock, make_log


def serving_log(data_dir: Path) -> SqliteEvidenceLog:
    paths = EvidencePaths.of(data_dir)
    return SqliteEvidenceLog(paths.db, paths.key, ORIGIN, ManualClock(), 0, exclusive=True)


async def test_a_second_exclusive_log_is_refused_until_the_first_closes(tmp_path: Path) -> None:
    first = serving_log(tmp_path)
    await first.start()
    second = serving_log(tmp_path)
    with pytest.raises(EvidenceLogInUse, match=str(tmp_path)):
        await second.start()
    tool = make_log(tmp_path)
    await tool.start()
    await tool.close()
    await first.close()
    await second.start()
    await second.close()
