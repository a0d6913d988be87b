"""Video load scenario: N concurrent 1:1 calls (640x480 30 fps VP8 + Opus) through the
gateway, pass-through relay + recording against a plain aiortc decode/re-encode relay.

    python -m loadtest.video --calls 10 25 --mode passthrough transcode --duration 20

For each run it reports the gateway's CPU (share of one core, from /proc over the
measurement window), CPU per call, the share of sent frames the other side received,
and the clients' own CPU, so a saturated client is visible.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from loadtest.video.clip import encode_clip, save

RESULTS = Path(__file__).resolve().parents[1] / "results"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process (children excluded)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def udp_receive_buffer_errors() -> int:
    """Datagrams the kernel dropped machine-wide because a socket buffer was full."""
    lines = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines()]
    header, values = [line for line in lines if line[0] == "Udp:"][:2]
    return int(values[header.index("RcvbufErrors")])


def gateway_stats(url: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{url}/stats", timeout=5) as response:
        stats: dict[str, int] = json.loads(response.read())
    return stats


def wait_healthy(url: str, within_s: float = 20) -> None:
    deadline = time.time() + within_s
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gateway did not start")


def share(parts: list[tuple[int, int]]) -> float:
    sent = sum(s for s, _ in parts)
    return sum(min(r, s) for s, r in parts) / sent if sent else 0.0


def summarize(calls: list[dict[str, Any]]) -> dict[str, Any]:
    video: list[tuple[int, int]] = []
    audio: list[tuple[int, int]] = []
    worst = 1.0
    for call in calls:
        before, after = call["before"], call["after"]
        for src, dst in (("agent", "citizen"), ("citizen", "agent")):
            for kind, bucket in (("video", video), ("audio", audio)):
                sent = after[src]["sent"][kind] - before[src]["sent"][kind]
                got = after[dst]["received"][kind] - before[dst]["received"][kind]
                bucket.append((sent, got))
                if kind == "video" and sent:
                    worst = min(worst, got / sent)
    return {
        "video_delivered": round(share(video), 4),
        "audio_delivered": round(share(audio), 4),
        "worst_leg_video_delivered": round(worst, 4),
        "video_frames_sent": sum(s for s, _ in video),
    }


def run_once(
    mode: str,
    calls: int,
    workers: int,
    warmup: float,
    duration: float,
    clip: Path,
    loop: str,
    client_nice: int = 0,
) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    gateway = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "loadtest.video.gateway",
            "--mode",
            mode,
            "--port",
            str(port),
            "--loop",
            loop,
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_healthy(url)
        t0 = time.time() + 1.0
        split = [calls // workers + (1 if i < calls % workers else 0) for i in range(workers)]
        first = 0
        procs = []
        for count in split:
            if count == 0:
                continue
            procs.append(
                subprocess.Popen(
                    [
                        "nice",
                        "-n",
                        str(client_nice),
                        sys.executable,
                        "-m",
                        "loadtest.video.clients",
                        "--gateway",
                        url,
                        "--clip",
                        str(clip),
                        "--calls",
                        str(count),
                        "--first",
                        str(first),
                        "--t0",
                        str(t0),
                        "--warmup",
                        str(warmup),
                        "--duration",
                        str(duration),
                    ],
                    stdout=subprocess.PIPE,
                    text=True,
                )
            )
            first += count
        time.sleep(max(0.0, t0 + warmup - time.time()))
        gw0 = cpu_seconds(gateway.pid)
        cl0 = sum(cpu_seconds(p.pid) for p in procs)
        busy0, total0 = machine_busy()
        udp0 = udp_receive_buffer_errors()
        stats0 = gateway_stats(url)
        wall0 = time.time()
        time.sleep(duration)
        gw1 = cpu_seconds(gateway.pid)
        cl1 = sum(cpu_seconds(p.pid) for p in procs)
        busy1, total1 = machine_busy()
        udp1 = udp_receive_buffer_errors()
        stats1 = gateway_stats(url)
        wall = time.time() - wall0
        results: list[dict[str, Any]] = []
        for proc in procs:
            out, _ = proc.communicate(timeout=120 + calls)
            results += json.loads(out.strip().splitlines()[-1])["calls"]
    finally:
        gateway.terminate()
        gateway.wait(timeout=60)
    gateway_core = (gw1 - gw0) / wall
    summary = summarize(results)
    return {
        "mode": mode,
        "loop": loop,
        "client_nice": client_nice,
        "calls": calls,
        "window_s": round(wall, 1),
        "gateway_cpu_core": round(gateway_core, 3),
        "gateway_cpu_per_call": round(gateway_core / calls, 4),
        "calls_per_core_at_this_cpu": round(calls / gateway_core, 1) if gateway_core else None,
        "clients_cpu_core": round((cl1 - cl0) / wall, 3),
        "machine_busy": round((busy1 - busy0) / max(1, total1 - total0), 3),
        "recordings": sum(1 for r in results if r.get("recording")),
        "udp_rcvbuf_drops": udp1 - udp0,
        "gateway": {
            k: stats1[k] - stats0.get(k, 0) for k in stats1 if k.startswith(("frames", "key"))
        },
        **summary,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, nargs="+", default=[10])
    parser.add_argument(
        "--mode", nargs="+", choices=("passthrough", "transcode"), default=["passthrough"]
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--warmup",
        type=float,
        default=None,
        help="seconds before measuring (default 4 + 0.25 per call)",
    )
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument(
        "--client-nice",
        type=int,
        default=0,
        help="nice level of the load clients: >0 lets the gateway have the CPU first",
    )
    parser.add_argument(
        "--loop", choices=("uvloop", "asyncio"), default="uvloop", help="the gateway's event loop"
    )
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    clip = RESULTS / "video-clip.msgpack"
    if not clip.exists():
        save(encode_clip(), clip)
    rows = []
    for mode in args.mode:
        for calls in args.calls:
            warmup = args.warmup if args.warmup is not None else 4 + 0.25 * calls
            row = run_once(
                mode, calls, args.workers, warmup, args.duration, clip, args.loop, args.client_nice
            )
            rows.append(row)
            print(json.dumps(row), flush=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (RESULTS / f"video-{stamp}.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
