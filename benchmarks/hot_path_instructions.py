"""Instructions per call of the steps a chat message takes, counted by callgrind.

    .venv/bin/python benchmarks/hot_path_instructions.py [--calls 20000] [STEP ...]

Each step runs under ``valgrind --tool=callgrind`` twice, with no call and with
``--calls`` calls; the difference, less an empty loop's, divided by the calls, is what
one call costs. Unlike a timing, the count does not move with the other work of a
shared machine, so two trees can be compared step by step (run the script with each
tree's ``src`` first on ``PYTHONPATH``). Prints one JSON line per step.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

SETUP = """
from datetime import UTC, datetime
from rtc_gateway.adapters.evidence_batch import pending_entry, record_instant
from rtc_gateway.domain.timestamps import format_utc
from rtc_gateway.evidence.records import format_at
from rtc_gateway.ports.evidence_log import EvidenceEntry
from rtc_gateway.realtime.codecs import JsonCodec
at = datetime(2026, 12, 2, 12, 0, 0, 123456, tzinfo=UTC)
entry = EvidenceEntry("c-0123456789abcdef", "message", "citizen", "cit-1", at, 3, "w0-1",
                      "1234567890 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
codec = JsonCodec()
wire = {"conversation_id": "c-0123456789abcdef", "seq": 3, "sender": "citizen",
        "text": "1234567890 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "sent_at": "2026-12-02T12:00:00.123Z", "client_msg_id": "w0-1"}
inbound = ('2/agent,12345["message:send",{"conversation_id":"c-0123456789abcdef",'
           '"client_msg_id":"w0-1","text":"1234567890 xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"}]')
"""

STEPS = {
    "record_instant": "record_instant(at)",
    "format_at": "format_at(at)",
    "format_utc": "format_utc(at)",
    "pending_entry": "pending_entry(entry, at)",
    "decode_send": "codec.decode(inbound)",
    "encode_relay": 'codec.encode(2, "/agent", ["message", wire])',
    "encode_ack": 'codec.encode(3, "/agent", [{"ok": True, "message": wire}], 12345)',
}
EMPTY = "None"
COLLECTED = re.compile(r"Collected : (\d+)")


def child(step: str, calls: int) -> None:
    scope: dict[str, object] = {}
    exec(SETUP, scope)  # the benchmark's own constant text
    statement = EMPTY if step == "empty" else STEPS[step]
    exec(compile(f"for _ in range({calls}):\n    {statement}\n", "<step>", "exec"), scope)


def instructions(step: str, calls: int) -> int:
    with tempfile.TemporaryDirectory() as directory:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={directory}/out",
             sys.executable, __file__, "--child", step, str(calls)],
            capture_output=True, text=True, check=True, env=os.environ)
    found = COLLECTED.search(done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count:\n{done.stderr}")
    return int(found.group(1))


def per_call(step: str, calls: int) -> float:
    return (instructions(step, calls) - instructions(step, 0)) / calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("steps", nargs="*", help=f"some of {', '.join(STEPS)} (default all)")
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    unknown = set(args.steps) - set(STEPS)
    if unknown:
        parser.error(f"unknown steps: {', '.join(sorted(unknown))}")
    empty = per_call("empty", args.calls)
    for step in args.steps or STEPS:
        print(json.dumps({"step": step, "instructions": round(per_call(step, args.calls) - empty)}),
              flush=True)


if __name__ == "__main__":
    main()
