"""The ``rtc-gateway`` command line in real processes: version, usage errors (exit 2,
one line, no traceback), a port in use, the terminal welcome, the data directory default."""

import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rtc_gateway import __version__
from tests.support.cli_process import environment, run_cli
from tests.support.gateway_process import LOOPBACK_MEDIA, free_port


def test_version() -> None:
    run = run_cli("--version")
    assert run.code == 0
    assert run.out.strip() == f"rtc-gateway {__version__}"


AGENT = ["token", "agent", "--id", "P-1", "--name", "Lieutenant Martin", "--service", "police"]

USAGE_ERRORS = [
    ([], "required: command"),
    (["frobnicate"], "invalid choice"),
    (["serve", "--port", "99999"], "not a port number"),
    (["serve", "--port", "http"], "not a port number"),
    (["serve", "--serializer", "xml"], "invalid choice"),
    (["token"], "required: kind"),
    (["token", "agent", "--id", "P-1"], "required"),
    ([*AGENT[:-1], "army"], "invalid choice"),
    ([*AGENT, "--max-chats", "0"], "must be 1 or more"),
    ([*AGENT, "--ttl-hours", "-3"], "must be a number of 0 or more"),
    ([*AGENT, "--ttl-hours", "0"], "more than 0 hours"),
    ([*AGENT, "--role", "citizen"], "invalid choice"),
    (["export", "--out", "x.zip"], "--conversation --case is required"),
    (["verify"], "required: bundle"),
    (["erase-expired"], "required: --older-than-days"),
    (["erase-expired", "--older-than-days", "-1"], "must be a number of 0 or more"),
    (["erase-expired", "--older-than-days", "a year"], "is not a number"),
    (["erase-expired", "--older-than-days", "nan"], "must be a number of 0 or more"),
    (["conversations"], "required: action"),
    (["conversations", "list", "--since", "yesterday"], "neither a date"),
    (["conversations", "list", "--limit", "0"], "must be 1 or more"),
    (["conversations", "list", "--status", "lost"], "invalid choice"),
    (["conversations", "show"], "required: ID"),
]


@pytest.mark.parametrize(("args", "says"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_usage_errors_exit_2_with_a_message(args: list[str], says: str, tmp_path: Path) -> None:
    run = run_cli(*args, cwd=tmp_path)
    assert run.code == 2, run
    assert says in run.err
    assert "Traceback" not in run.err
    assert run.out == ""
    assert not (tmp_path / "data").exists()


COMMANDS_ON_A_MISSING_LOG = [
    ["export", "--conversation", "cv_1", "--out", "x.zip"],
    ["erase-expired", "--older-than-days", "30"],
    ["log-key"],
    ["conversations", "list"],
    ["conversations", "show", "cv_1"],
]


@pytest.mark.parametrize("args", COMMANDS_ON_A_MISSING_LOG, ids=lambda a: " ".join(a))
def test_a_data_directory_without_a_log_is_named_and_left_untouched(
    args: list[str], tmp_path: Path
) -> None:
    typo = tmp_path / "dtaa"
    run = run_cli(*args, "--data-dir", str(typo), cwd=tmp_path)
    assert run.code == 2, run
    assert f"no evidence log in {typo}" in run.err
    assert "Traceback" not in run.err
    assert not typo.exists()


def test_other_failures_are_messages_too(tmp_path: Path) -> None:
    run = run_cli("verify", str(tmp_path / "case.zip"))
    expected = f"rtc-gateway verify: no bundle at {tmp_path}/case.zip"
    assert (run.code, run.err.strip()) == (2, expected)
    run = run_cli("rotate-key", "--data-dir", str(tmp_path))
    assert run.code == 2 and "no signing key at" in run.err and "Traceback" not in run.err
    run = run_cli("serve", "--data-dir", str(tmp_path), env={"RTC_GATEWAY_SERIALIZER": "xml"})
    assert run.code == 2 and "configuration: serializer must be json or msgpack" in run.err
    assert "Traceback" not in run.err


def test_a_bad_log_level_and_an_unusable_data_directory_are_messages(tmp_path: Path) -> None:
    run = run_cli("serve", "--data-dir", str(tmp_path), env={"RTC_GATEWAY_LOG_LEVEL": "loud"})
    assert run.code == 2
    assert "configuration: RTC_GATEWAY_LOG_LEVEL 'loud' is not a level (DEBUG" in run.err
    assert "Traceback" not in run.err
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    run = run_cli(*AGENT, "--data-dir", str(not_a_directory / "data"))
    assert run.code == 1, run
    assert run.err.startswith("rtc-gateway token: Not a directory: ")
    assert "Traceback" not in run.err


def test_serve_on_a_port_in_use_says_so_and_exits_1(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = run_cli("serve", "--data-dir", str(tmp_path / "data"), "--port", str(port),
                      env=LOOPBACK_MEDIA, timeout=60)
    assert run.code == 1, run
    assert f"cannot listen on 127.0.0.1:{port}: the port is already in use" in run.err
    assert "--port" in run.err
    assert "Traceback" not in run.err


def test_the_same_data_directory_default_everywhere(tmp_path: Path) -> None:
    """./data (or RTC_GATEWAY_DATA_DIR), as serve uses it, for every command."""
    run = run_cli(*AGENT, cwd=tmp_path)
    assert run.code == 0, run
    assert (tmp_path / "data" / "keys" / "token-signing.key").is_file()
    for args in COMMANDS_ON_A_MISSING_LOG:
        run = run_cli(*args, cwd=tmp_path)
        assert "no evidence log in data " in run.err, (args, run)
        run = run_cli(*args, cwd=tmp_path, env={"RTC_GATEWAY_DATA_DIR": "/srv/rtc"})
        assert "no evidence log in /srv/rtc " in run.err, (args, run)


def _serve_with_stderr(tmp_path: Path, stderr: int) -> subprocess.Popen[bytes]:
    port = free_port()
    return subprocess.Popen(
        [sys.executable, "-m", "rtc_gateway", "serve", "--data-dir", str(tmp_path / "data"),
         "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=stderr, stdin=subprocess.DEVNULL,
        env=environment(LOOPBACK_MEDIA),
    )


def _read_until(fd: int, wanted: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def _stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGINT)
    try:
        return process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def test_serve_at_a_terminal_says_what_to_open_and_how_to_get_a_token(tmp_path: Path) -> None:
    leader, follower = pty.openpty()
    process = _serve_with_stderr(tmp_path, follower)
    os.close(follower)
    try:
        seen = _read_until(leader, b"Stop with Ctrl+C", 60).decode()
    finally:
        code = _stop(process)
        os.close(leader)
    port = process.args[-1]  # type: ignore[index]
    assert f"Citizen page:     http://127.0.0.1:{port}/demo/" in seen, seen
    assert f"http://127.0.0.1:{port}/demo/agent.html#token=TOKEN" in seen
    assert "in a second terminal" in seen
    assert f"rtc-gateway token agent --data-dir {tmp_path / 'data'} --id" in seen
    assert '"msg": "listening"' in seen
    assert code == 0


def test_serve_into_a_pipe_prints_json_lines_only(tmp_path: Path) -> None:
    log = tmp_path / "gateway.log"
    with log.open("wb") as sink:
        process = _serve_with_stderr(tmp_path, sink.fileno())
        deadline = time.monotonic() + 60
        while b'"listening"' not in log.read_bytes() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _stop(process) == 0
    lines = log.read_text().splitlines()
    assert any('"msg": "listening"' in line for line in lines)
    assert all(line.startswith("{") for line in lines if line.strip()), lines
