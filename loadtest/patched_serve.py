"""Run ``rtc-gateway serve`` with library patches applied, to price a fix before making it.

``python -m loadtest.patched_serve --patches no-binary-scan,direct-emit -- \\
    python -m rtc_gateway serve ...`` (the part after ``--`` is the usual command line).

Patches (each one a change the gateway could make in its own code):
- ``no-binary-scan``: the JSON parser stops walking every payload looking for bytes
  (the contract carries none); python-socketio does it for every emit and every ack.
- ``direct-emit``: an emit without a callback writes to each recipient in turn instead
  of creating one task per recipient and waiting on them with ``asyncio.wait``.
- ``trace-memory``: not a fix; tracemalloc on, SIGUSR2 dumps the top allocation sites.
"""

from __future__ import annotations

import argparse
import os
import runpy
import signal
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from engineio import packet as eio_packet
from socketio import async_manager
from socketio import packet as sio_packet


def no_binary_scan() -> None:
    sio_packet.Packet.uses_binary_events = False


async def _direct_emit(self: Any, event: str, data: Any, namespace: str, room: Any = None,
                       skip_sid: Any = None, callback: Any = None, to: Any = None,
                       **kwargs: Any) -> None:
    if callback is not None:
        await _original_emit(self, event, data, namespace, room=room, skip_sid=skip_sid,
                             callback=callback, to=to, **kwargs)
        return
    room = to or room
    if namespace not in self.rooms:
        return
    data = list(data) if isinstance(data, tuple) else [] if data is None else [data]
    skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
    encoded = self.server.packet_class(sio_packet.EVENT, namespace=namespace,
                                       data=[event, *data]).encode()
    frames = [eio_packet.Packet(eio_packet.MESSAGE, part)
              for part in (encoded if isinstance(encoded, list) else [encoded])]
    for sid, eio_sid in self.get_participants(namespace, room):
        if sid not in skip:
            for frame in frames:
                await self.server._send_eio_packet(eio_sid, frame)


_original_emit = async_manager.AsyncManager.emit


def direct_emit() -> None:
    async_manager.AsyncManager.emit = _direct_emit


def trace_memory() -> None:
    """Record allocations; SIGUSR2 writes the top sites (by file and line) next to the log."""
    tracemalloc.start(1)
    out_dir = Path(os.environ.get("LOADTEST_TRACEMALLOC_DIR", "."))

    def dump(signum: int, frame: Any) -> None:
        snapshot = tracemalloc.take_snapshot()
        stats = snapshot.statistics("lineno")
        lines = [f"{stat.size}\t{stat.count}\t{stat.traceback}" for stat in stats[:60]]
        total = sum(stat.size for stat in stats)
        path = out_dir / f"tracemalloc-{int(time.time() * 1000)}.tsv"
        path.write_text(f"{total}\ttotal\n" + "\n".join(lines) + "\n")

    signal.signal(signal.SIGUSR2, dump)


PATCHES = {"no-binary-scan": no_binary_scan, "direct-emit": direct_emit,
           "trace-memory": trace_memory}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patches", default="")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    for name in filter(None, args.patches.split(",")):
        PATCHES[name]()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    # command is "<python> -m rtc_gateway serve ...": run that module in this process.
    module_at = command.index("-m") + 1
    sys.argv = [command[module_at], *command[module_at + 1:]]
    runpy.run_module(command[module_at], run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
