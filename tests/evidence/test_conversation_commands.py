"""``rtc-gateway conversations list|show`` in real processes, on a populated log."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from rtc_gateway.evidence.conversation_commands import since_instant
from rtc_gateway.ports.evidence_log import EvidenceEntry, RecordKind
from tests.support.cli_process import run_cli

from .support import ManualClock, make_log, populate


@pytest.fixture
async def data_dir(tmp_path: Path) -> Path:
    """conv-1 (closed, 5 messages, a call), conv-2 (open) on 2025-11-30, conv-3 (open,
    discreet, urgent) two days later."""
    clock = ManualClock(datetime(2025, 11, 30, 8, 0, tzinfo=UTC))
    log = make_log(tmp_path, clock)
    await log.start()
    await populate(log, tmp_path, clock)
    clock.advance(timedelta(days=2))
    await log.append(EvidenceEntry(
        "conv-3", RecordKind.CONVERSATION_OPENED, "citizen", "cit-C", clock.now(),
        data={"topic": "violences", "service": "gendarmerie", "priority": "urgent",
              "discreet": True}))
    await log.append(EvidenceEntry(
        "conv-3", RecordKind.ASSIGNED, "system", "router", clock.now(),
        data={"agent_id": "G-7", "agent_name": "Adjudante Roux", "service": "gendarmerie"}))
    await log.append(EvidenceEntry(
        "conv-3", RecordKind.MESSAGE, "citizen", "cit-C", clock.now(), seq=1,
        client_msg_id="c1", text="Il est dans la cuisine"))
    await log.close()
    return tmp_path


def ids_in(table: str) -> list[str]:
    return [line.split()[0] for line in table.splitlines()[1:]]


def test_list_is_a_table_newest_first_without_any_text(data_dir: Path) -> None:
    run = run_cli("conversations", "list", "--data-dir", str(data_dir))
    assert run.code == 0, run.err
    header, *rows = run.out.splitlines()
    assert header.split()[:3] == ["ID", "STATUS", "OPENED"]
    assert ids_in(run.out) == ["conv-3", "conv-2", "conv-1"]
    assert "Adjudante Roux (G-7)" in rows[0] and "violences (discreet)" in rows[0]
    assert rows[0].split()[1] == "open" and rows[2].split()[1] == "closed"
    assert "2025-11-30 08:00" in rows[2]
    for text in ("Bonjour", "cuisine", "autre 1"):
        assert text not in run.out


def test_list_filters_by_status_and_date(data_dir: Path) -> None:
    def listed(*args: str) -> list[str]:
        run = run_cli("conversations", "list", "--data-dir", str(data_dir), *args)
        assert run.code == 0, run.err
        return ids_in(run.out)

    assert listed("--open") == ["conv-3", "conv-2"]
    assert listed("--status", "open") == ["conv-3", "conv-2"]
    assert listed("--status", "closed") == ["conv-1"]
    assert listed("--since", "2025-12-01") == ["conv-3"]
    assert listed("--since", "2025-11-30T09:00:02+01:00") == ["conv-3", "conv-2"]
    assert listed("--limit", "1") == ["conv-3"]
    assert listed("--since", "3650d") == ["conv-3", "conv-2", "conv-1"]
    run = run_cli("conversations", "list", "--data-dir", str(data_dir), "--since", "1h")
    assert (run.code, run.out.strip()) == (0, "no conversation matches")


def test_list_as_json(data_dir: Path) -> None:
    run = run_cli("conversations", "list", "--data-dir", str(data_dir), "--json")
    assert run.code == 0, run.err
    found = {item["conversation_id"]: item for item in json.loads(run.out)}
    assert list(found) == ["conv-3", "conv-2", "conv-1"]
    assert found["conv-1"] | {"last_at": None} == {
        "conversation_id": "conv-1", "status": "closed",
        "opened_at": "2025-11-30T08:00:01.000Z", "last_at": None,
        "closed_at": found["conv-1"]["last_at"], "close_reason": "resolved",
        "topic": "violences", "service": None, "priority": None, "discreet": True,
        "citizen_id": "cit-A", "agents": ["agt-7"], "messages": 5, "video_calls": 1,
        "exports": 0,
    }
    assert found["conv-3"]["service"] == "gendarmerie"
    assert found["conv-3"]["priority"] == "urgent"
    assert "cuisine" not in run.out


def test_show_gives_the_state_and_the_records_but_no_text(data_dir: Path) -> None:
    run = run_cli("conversations", "show", "conv-1", "--data-dir", str(data_dir))
    assert run.code == 0, run.err
    assert run.out.startswith("conversation conv-1 (closed)\n")
    assert "5 messages, 1 video call, 0 exports" in run.out
    assert "closed     2025-11-30T08:00:" in run.out and "(resolved)" in run.out
    assert "10 records (texts are in the export bundle only):" in run.out
    assert "seq 5" in run.out and "video.ended" in run.out
    assert "Bonjour" not in run.out and "alert(1)" not in run.out
    single = run_cli("conversations", "show", "conv-3", "--data-dir", str(data_dir))
    assert "1 message, 0 video calls, 0 exports" in single.out
    assert "officers   Adjudante Roux (G-7)" in single.out


def test_show_as_json(data_dir: Path) -> None:
    run = run_cli("conversations", "show", "conv-3", "--data-dir", str(data_dir), "--json")
    assert run.code == 0, run.err
    content = json.loads(run.out)
    assert content["summary"]["agents"] == ["Adjudante Roux (G-7)"]
    assert [r["kind"] for r in content["records"]] == [
        "conversation.opened", "conversation.assigned", "message"]
    assert content["records"][2]["seq"] == 1
    assert "cuisine" not in run.out


def test_show_of_an_unknown_conversation_is_a_usage_error(data_dir: Path) -> None:
    run = run_cli("conversations", "show", "conv-9", "--data-dir", str(data_dir))
    assert run.code == 2
    assert "no conversation conv-9 in the evidence log" in run.err
    assert "conversations list" in run.err
    assert run.out == ""


async def test_an_empty_log_lists_nothing(tmp_path: Path) -> None:
    log = make_log(tmp_path)
    await log.start()
    await log.close()
    run = run_cli("conversations", "list", "--data-dir", str(tmp_path))
    assert (run.code, run.out.strip()) == (0, "no conversation matches")
    run = run_cli("conversations", "list", "--data-dir", str(tmp_path), "--json")
    assert (run.code, json.loads(run.out)) == (0, [])


def test_since_accepts_dates_times_and_durations() -> None:
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert since_instant("2026-11-30", now) == datetime(2026, 11, 30, tzinfo=UTC)
    assert since_instant("2026-11-30T08:00Z", now) == datetime(2026, 11, 30, 8, tzinfo=UTC)
    assert since_instant("2026-11-30T09:00+01:00", now) == datetime(2026, 11, 30, 8, tzinfo=UTC)
    assert since_instant("12h", now) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    assert since_instant("7d", now) == datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    assert since_instant("30m", now) == datetime(2026, 12, 1, 11, 30, tzinfo=UTC)
