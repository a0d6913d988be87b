"""The durable Node reference relay against real clients: everything it acks is in its
hash-chained log, the chain checker catches tampering, and (traced with strace) no ack or
relay leaves before the fdatasync of its batch has returned.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from loadtest.chain import check_journal, verify_chain
from loadtest.chat import ChatConfig, run_chat
from loadtest.client import LeanClient
from loadtest.race import RaceConfig, with_server
from loadtest.targets import JOURNAL_NAME, REFERENCE_DIR, Server, start_server
from loadtest.wire import codec_for
from loadtest.workers import new_session

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (REFERENCE_DIR / "node_modules").is_dir(), reason="npm ci not run"),
]


# An ack waits for the disk: on a shared machine one fdatasync has been seen to take 2 s.
DRAIN_S = 3.0


@dataclass
class ChatRun:
    result: dict[str, Any]
    stats: dict[str, Any]
    journal: Path
    server_log: str


@pytest.fixture(scope="module")
def chat_run(tmp_path_factory: pytest.TempPathFactory) -> ChatRun:
    server = start_server("durable", "json", data_dir=tmp_path_factory.mktemp("durable"))
    try:
        result = run_chat(ChatConfig(
            url=server.url, citizens=10, agents=2, max_chats=5,
            agent_tokens=server.agent_tokens(2, 5), rate=200, warmup_s=0.5, duration_s=2.0,
            drain_s=DRAIN_S, workers=2, server_pid=server.pid))
        with urllib.request.urlopen(f"{server.url}/journal", timeout=5) as response:
            stats = json.loads(response.read())
    finally:
        server.stop()
    assert server.journal_path is not None
    return ChatRun(result, stats, server.journal_path, server.log())


def test_every_message_is_acked_delivered_and_chained(chat_run: ChatRun) -> None:
    result = chat_run.result
    assert result["failures"] == [], result["failures"]
    assert result["ack_errors"] == 0, result["errors"]
    assert result["sent"] > 200
    assert result["acked"] == result["received"] == result["sent"]
    report = verify_chain(chat_run.journal)
    assert report.errors == []
    assert report.records == result["sent"]
    assert report.conversations == 10
    assert oct(chat_run.journal.stat().st_mode & 0o777) == "0o600"


def test_batches_group_messages_and_shutdown_waits_for_the_last(chat_run: ChatRun) -> None:
    stats = chat_run.stats
    assert stats["records"] == chat_run.result["sent"]
    assert 1 <= stats["batches"] <= stats["records"]
    assert stats["largest_batch"] >= 1
    assert stats["failed"] is False
    final = json.loads(re.findall(r"^journal (\{.*\})$", chat_run.server_log, re.M)[-1])
    assert final["records"] == stats["records"]


def _rewrite(source: Path, target: Path, change: Any) -> Path:
    lines = source.read_bytes().split(b"\n")[:-1]
    target.write_bytes(b"".join(line + b"\n" for line in change(lines)))
    return target


def _first_two_of_one_conversation(lines: list[bytes]) -> tuple[int, int]:
    conversation = json.loads(lines[0].split(b" ", 2)[2])["conversation_id"]
    same = [index for index, line in enumerate(lines)
            if json.loads(line.split(b" ", 2)[2])["conversation_id"] == conversation]
    return same[0], same[1]


def test_chain_check_reports_each_kind_of_tampering(chat_run: ChatRun, tmp_path: Path) -> None:
    def altered(lines: list[bytes]) -> list[bytes]:
        return [lines[0].replace(b'"text":"', b'"text":"!', 1), *lines[1:]]

    def removed(lines: list[bytes]) -> list[bytes]:
        first, _ = _first_two_of_one_conversation(lines)
        return [line for index, line in enumerate(lines) if index != first]

    def swapped(lines: list[bytes]) -> list[bytes]:
        first, second = _first_two_of_one_conversation(lines)
        lines = list(lines)
        lines[first], lines[second] = lines[second], lines[first]
        return lines

    def repeated(lines: list[bytes]) -> list[bytes]:
        return [lines[0], *lines]

    expected = {altered: "hash does not match", removed: "prev is not the last hash",
                swapped: "prev is not the last hash", repeated: "prev is not the last hash"}
    for change, problem in expected.items():
        report = verify_chain(_rewrite(chat_run.journal, tmp_path / change.__name__, change))
        assert report.errors, change.__name__
        assert problem in report.errors[0], (change.__name__, report.errors)
    total = len(chat_run.journal.read_bytes().split(b"\n")) - 1
    assert len(verify_chain(_rewrite(chat_run.journal, tmp_path / "r", removed)).errors) == 1
    assert verify_chain(_rewrite(chat_run.journal, tmp_path / "r", removed)).records == total - 2

    cut = tmp_path / "cut"
    cut.write_bytes(chat_run.journal.read_bytes()[:-5])
    report = verify_chain(cut)
    assert report.errors == ["the last record is cut short (no final newline)"]
    assert report.records == total - 1


def test_a_run_with_fewer_records_than_acks_fails(chat_run: ChatRun, tmp_path: Path) -> None:
    short = _rewrite(chat_run.journal, tmp_path / "short", lambda lines: lines[:-3])
    result: dict[str, Any] = {"acked": chat_run.result["acked"], "failures": []}
    check_journal(short, result)
    assert result["journal"]["ok"] is True
    assert len(result["failures"]) == 1 and "in the log" in result["failures"][0]
    whole: dict[str, Any] = {"acked": chat_run.result["acked"], "failures": []}
    check_journal(chat_run.journal, whole)
    assert whole["failures"] == []


def test_an_existing_log_is_refused(tmp_path: Path) -> None:
    (tmp_path / JOURNAL_NAME).write_text("")
    with pytest.raises(RuntimeError, match="EEXIST"):
        start_server("durable", "json", data_dir=tmp_path)


@dataclass
class Pair:
    """A citizen and an agent in one conversation, recording what each received."""

    citizen: LeanClient
    agent: LeanClient
    conversation_id: str
    received: dict[str, list[Any]] = field(default_factory=lambda: {"citizen": [], "agent": []})


async def open_pair(session: Any, url: str, agent_id: str) -> Pair:
    codec = codec_for("json")
    assigned: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    received: dict[str, list[Any]] = {"citizen": [], "agent": []}

    def on_agent(event: str, data: Any) -> None:
        if event == "conversation:assigned" and not assigned.done():
            assigned.set_result(data["conversation"]["id"])
        elif event == "message":
            received["agent"].append(data)

    def on_citizen(event: str, data: Any) -> None:
        if event == "message":
            received["citizen"].append(data)

    agent = LeanClient(codec, "/agent", on_agent)
    await agent.connect(session, url, {"token": f"ref.{agent_id}.4"})
    assert (await agent.call("agent:status", {"status": "available"}))["ok"]
    citizen = LeanClient(codec, "/citizen", on_citizen)
    await citizen.connect(session, url)
    opened = await citizen.call("conversation:open", {"topic": "general"})
    assert opened["ok"], opened
    assert await asyncio.wait_for(assigned, 10) == opened["conversation"]["id"]
    return Pair(citizen, agent, opened["conversation"]["id"], received)


async def exchange(url: str, count: int) -> tuple[Pair, list[Any]]:
    """Both sides send ``count`` messages each without waiting; return every ack."""
    acks: list[Any] = []
    async with new_session() as session:
        pair = await open_pair(session, url, "strace")
        for index in range(count):
            for side, client in (("citizen", pair.citizen), ("agent", pair.agent)):
                await client.emit("message:send", {
                    "conversation_id": pair.conversation_id,
                    "client_msg_id": f"probe-{side}-{index:04d}", "text": f"hello {index}"},
                    acks.append)
        for _ in range(200):
            if len(acks) == 2 * count and all(len(got) == count for got in pair.received.values()):
                break
            await asyncio.sleep(0.05)
        await pair.citizen.close()
        await pair.agent.close()
    return pair, acks


async def test_repeated_and_opening_messages_are_logged_once(tmp_path: Path) -> None:
    server = start_server("durable", "json", data_dir=tmp_path)
    try:
        async with new_session() as session:
            pair = await open_pair(session, server.url, "repeat")
            payload = {"conversation_id": pair.conversation_id, "client_msg_id": "same",
                       "text": "Bonjour, j'ai été agressé \u2028 ☎"}
            first, second = await asyncio.gather(pair.citizen.call("message:send", payload),
                                                 pair.citizen.call("message:send", payload))
            bad = await pair.citizen.call("message:send", {**payload, "text": ""})
            second_conversation = await pair.citizen.call(
                "conversation:open", {"topic": "general", "text": "ouverture sans identifiant"})
            await asyncio.sleep(0.3)
            await pair.citizen.close()
            await pair.agent.close()
    finally:
        server.stop()
    assert first["ok"] and second["ok"]
    assert first["message"] == second["message"]
    assert bad == {"ok": False, "error": {"code": "bad_request", "message": "invalid message"}}
    assert [message["client_msg_id"] for message in pair.received["agent"]] == ["same"]
    assert second_conversation["ok"], second_conversation
    report = verify_chain(tmp_path / JOURNAL_NAME)
    assert (report.errors, report.records, report.conversations) == ([], 2, 2)


# strace lines: "PID name(args) = result", or split in "<unfinished ...>" and
# "<... name resumed>" halves when another thread made a call in between.
LOG_WRITE = re.compile(r'^\d+ +write\((\d+), "[0-9a-f]{64} [0-9a-f]{64} ')
TRACE_LINE = re.compile(r"^\d+ +(?:<\.\.\. (?P<resumed>\w+) resumed>|(?P<call>\w+)\((?P<fd>\d+)?)")


def ack_order_violations(trace: list[str], log_fd: int, ids: list[str]) -> list[str]:
    """Messages whose first socket write (ack or relay) came before a finished fdatasync
    that had started after the message's record was written to the log."""
    syncs: list[tuple[int, int]] = []
    started: int | None = None
    written: dict[str, int] = {}
    first_sent: dict[str, int] = {}
    for index, line in enumerate(trace):
        match = TRACE_LINE.match(line)
        if match is None:
            continue
        if match["call"] == "fdatasync":
            if "<unfinished" in line:
                started = index
            else:
                syncs.append((index, index))
        elif match["resumed"] == "fdatasync" and started is not None:
            syncs.append((started, index))
        if match["call"] not in ("write", "writev"):
            continue
        for msg_id in ids:
            if msg_id not in line:
                continue
            target = written if match["fd"] == str(log_fd) else first_sent
            target.setdefault(msg_id, index)
    problems = []
    for msg_id in ids:
        if msg_id not in written or msg_id not in first_sent:
            problems.append(f"{msg_id}: not traced")
            continue
        covered = any(start > written[msg_id] and end < first_sent[msg_id]
                      for start, end in syncs)
        if not covered:
            problems.append(f"{msg_id}: sent before its batch's fdatasync returned")
    return problems


@pytest.fixture
def traced(tmp_path: Path) -> Iterator[tuple[Server, Path]]:
    if shutil.which("strace") is None:
        pytest.skip("strace is not installed")
    trace = tmp_path / "trace.txt"
    launcher = ("strace", "-f", "-qq", "-e", "trace=write,writev,fdatasync", "-e",
                "signal=none", "-s", "65536", "-o", str(trace))
    server = start_server("durable", "json", data_dir=tmp_path / "data", launcher=launcher)
    try:
        yield server, trace
    finally:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
        for child in children.read_text().split() if children.exists() else []:
            os.kill(int(child), signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.process.wait(15)
        server.stop()


async def test_acks_and_relays_wait_for_the_fdatasync_of_their_batch(
        traced: tuple[Server, Path]) -> None:
    server, trace_path = traced
    pair, acks = await exchange(server.url, 15)
    assert len(acks) == 30 and all(ack["ok"] for ack in acks), acks
    assert all(len(got) == 15 for got in pair.received.values())
    await asyncio.sleep(0.3)
    trace = trace_path.read_text(errors="replace").splitlines()
    log_writes = [match for line in trace if (match := LOG_WRITE.match(line))]
    assert log_writes, "no log write traced"
    log_fd = int(log_writes[0][1])
    ids = [f"probe-{side}-{index:04d}" for side in ("citizen", "agent") for index in range(15)]
    assert ack_order_violations(trace, log_fd, ids) == []


def test_a_race_run_checks_the_log_and_removes_it() -> None:
    seen: list[Server] = []

    def action(server: Server) -> dict[str, Any]:
        seen.append(server)
        return run_chat(ChatConfig(
            url=server.url, serializer=server.serializer, citizens=2, agents=1, max_chats=2,
            agent_tokens=server.agent_tokens(1, 2), rate=50, warmup_s=0.3, duration_s=1.0,
            drain_s=DRAIN_S, workers=1))

    result = with_server("durable-msgpack", RaceConfig(), action)
    assert result["server"] == "durable-msgpack"
    assert result["failures"] == [], result["failures"]
    assert result["journal"]["ok"] is True
    journal = result["journal"]
    assert result["sent"] > 0 and result["ack_errors"] == 0, result
    assert result["sent"] >= journal["records"] >= result["acked"], (journal, result["acked"])
    assert seen[0].data_dir is not None and not seen[0].data_dir.exists()
