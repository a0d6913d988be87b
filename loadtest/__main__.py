"""Command line: ``python -m loadtest {chat,storm,resume-storm,routing,race,bench,...} ...``.

Each scenario either starts its own server (``--server node|durable|gateway``) or drives
one already running on loopback (``--url``, with ``--server-pid`` for its CPU and memory).
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from loadtest.extra import require_load_extra

require_load_extra()

from loadtest.targets import KINDS, Server, raise_fd_limit, start_server  # noqa: E402


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--server", choices=KINDS, default="gateway",
                        help="node: bare relay; durable: relay with a hash-chained, "
                             "fdatasynced log; gateway: rtc-gateway")
    parser.add_argument("--serializer", choices=["json", "msgpack"], default="json")
    parser.add_argument("--url", help="drive a server already running on loopback")
    parser.add_argument("--server-pid", type=int, help="pid of the --url server")
    parser.add_argument("--workers", type=int, default=2, help="load client processes")
    parser.add_argument("--agents", type=int, default=20)
    parser.add_argument("--max-chats", type=int, default=10)
    parser.add_argument("--token", action="append", default=[],
                        help="agent token for a --url gateway (repeat per agent)")
    parser.add_argument("--gateway-args", default="",
                        help='extra "rtc-gateway serve" options, e.g. "--evidence memory"')


def _with_target(args: argparse.Namespace, body: Callable[[str, int | None, Server | None],
                                                        dict[str, Any]]) -> dict[str, Any]:
    if args.url:
        return body(args.url, args.server_pid, None)
    from loadtest.chain import check_journal

    extra = tuple(shlex.split(args.gateway_args)) if args.server == "gateway" else ()
    server = start_server(args.server, args.serializer, extra_args=extra)
    try:
        result = body(server.url, server.pid, server)
        server.stop(keep_data=True)
        if server.journal_path is not None:
            check_journal(server.journal_path, result)
        return result
    finally:
        server.stop()


def _tokens(args: argparse.Namespace, server: Server | None, count: int, max_chats: int
            ) -> list[str]:
    if server is not None:
        return server.agent_tokens(count, max_chats)
    if len(args.token) != count:
        sys.exit(f"--url needs {count} --token values (one per agent)")
    tokens: list[str] = args.token
    return tokens


def saved(result: dict[str, Any], out_arg: str | None, name: str,
          plot: Callable[[dict[str, Any], Path], Path]) -> dict[str, Any]:
    """Write ``result`` as JSON (``--out``, or a stamped file in the results folder) with
    its PNG beside it; the result names both."""
    from loadtest.race import RESULTS_DIR

    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    out = Path(out_arg) if out_arg else RESULTS_DIR / f"{name}-{stamp}.json"
    result["png"] = str(plot(result, out.with_suffix(".png")))
    result["json"] = str(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=list))
    return result


def cmd_chat(args: argparse.Namespace) -> dict[str, Any]:
    from loadtest.chat import ChatConfig, run_chat

    def body(url: str, pid: int | None, server: Server | None) -> dict[str, Any]:
        return run_chat(ChatConfig(
            url=url, serializer=args.serializer, citizens=args.citizens, agents=args.agents,
            max_chats=args.max_chats, agent_tokens=_tokens(args, server, args.agents,
                                                           args.max_chats),
            rate=args.rate, window=args.window, warmup_s=args.warmup, duration_s=args.duration,
            workers=args.workers, text_size=args.text_size, server_pid=pid))
    return _with_target(args, body)


def cmd_storm(args: argparse.Namespace) -> dict[str, Any]:
    from loadtest.storm import StormConfig, run_storm

    def body(url: str, pid: int | None, server: Server | None) -> dict[str, Any]:
        return run_storm(StormConfig(url=url, serializer=args.serializer,
                                     connections=args.connections, rate=args.rate,
                                     workers=args.workers, server_pid=pid))
    return _with_target(args, body)


def cmd_routing(args: argparse.Namespace) -> dict[str, Any]:
    from loadtest.routing import RoutingConfig, run_routing

    def body(url: str, pid: int | None, server: Server | None) -> dict[str, Any]:
        return run_routing(RoutingConfig(
            url=url, serializer=args.serializer, waiting=args.waiting, agents=args.agents,
            max_chats=args.max_chats,
            agent_tokens=_tokens(args, server, args.agents, args.max_chats),
            hold_s=args.hold, shift=args.shift, workers=args.workers, limit_s=args.limit,
            server_pid=pid))
    return _with_target(args, body)


def cmd_resume_storm(args: argparse.Namespace) -> dict[str, Any]:
    from loadtest.progress import progress_bar
    from loadtest.resume_storm import ResumeStormConfig, run_resume_storm, stop_signal
    from loadtest.resume_storm_plot import plot_resume_storm

    if args.server != "gateway":
        sys.exit("the resume storm needs the gateway: the Node relays keep no history")

    def body(url: str, pid: int | None, server: Server | None) -> dict[str, Any]:
        kept = round(args.agents * args.kept_share) if args.mode == "cut" else 0
        config = ResumeStormConfig(
            url=url, mode=args.mode, serializer=args.serializer, citizens=args.citizens,
            agents=args.agents - kept, max_chats=args.max_chats,
            agent_tokens=_tokens(args, server, args.agents - kept, args.max_chats),
            kept_agent_tokens=server.agent_tokens(kept, args.max_chats, "kept", "gendarmerie")
            if server is not None and kept else [],
            kept_share=args.kept_share, rate_per_side=args.rate, before_s=args.before,
            limit_s=args.limit, after_s=args.after, cut_s=args.cut, workers=args.workers,
            server_pid=pid)
        drop = (lambda mode: server.restart(stop_signal(mode))) if server is not None else None
        with progress_bar(config.citizens + args.agents, "clients back") as update:
            result = run_resume_storm(config, drop, update)
        return saved(result, args.out, "resume-storm", plot_resume_storm)
    return _with_target(args, body)


def cmd_sweep(args: argparse.Namespace) -> dict[str, Any]:
    from loadtest.progress import progress_bar
    from loadtest.sweep import SweepConfig, run_sweep
    from loadtest.sweep_plot import plot_sweep

    config = SweepConfig(sizes=[int(size) for size in args.sizes.split(",")], rate=args.rate,
                         duration_s=args.duration, citizens=args.citizens, agents=args.agents,
                         max_chats=args.max_chats, workers=args.workers,
                         serializer=args.serializer)
    server = start_server("gateway", args.serializer,
                          extra_args=tuple(shlex.split(args.gateway_args)))
    try:
        with progress_bar(max(config.sizes), "conversations open") as update:
            result = run_sweep(config, server, update)
    finally:
        server.stop()
    return saved(result, args.out, "sweep", plot_sweep)


def cmd_nodes(args: argparse.Namespace) -> dict[str, Any]:
    from loadtest.nodes import NodesConfig, run_nodes, setups
    from loadtest.nodes_plot import plot_nodes
    from loadtest.progress import progress_bar

    config = NodesConfig(redis_url=args.redis_url, database_url=args.database_url,
                         node_counts=[int(n) for n in args.nodes.split(",")],
                         with_sqlite=not args.no_sqlite, repeats=args.repeats,
                         rate=args.rate, citizens=args.citizens, agents=args.agents,
                         max_chats=args.max_chats, duration_s=args.duration,
                         workers=args.workers)
    with progress_bar(len(list(setups(config))), "setups run") as update:
        result = run_nodes(config, update)
    return saved(result, args.out, "nodes", plot_nodes)


def cmd_race(args: argparse.Namespace) -> dict[str, Any]:
    from loadtest.plot import plot_race
    from loadtest.race import RESULTS_DIR, RaceConfig, run_race

    config = RaceConfig(
        servers=args.servers.split(","), rates=[float(r) for r in args.rates.split(",")],
        duration_s=args.duration, warmup_s=args.warmup, workers=args.workers,
        citizens=args.citizens, agents=args.agents, max_chats=args.max_chats,
        storm_connections=args.storm, routing_waiting=args.routing, deflate=args.deflate)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    out = Path(args.out) if args.out else RESULTS_DIR / f"race-{stamp}.json"
    document = run_race(config, out)
    png = plot_race(document, out.with_suffix(".png"))
    print(f"written {out} and {png}", file=sys.stderr)
    return {"json": str(out), "png": str(png)}


def cmd_chain(args: argparse.Namespace) -> dict[str, Any]:
    from loadtest.chain import verify_chain

    report = verify_chain(Path(args.log)).as_dict()
    if not report["ok"]:
        report["failures"] = report["errors"]
    return report


def cmd_bench(args: argparse.Namespace) -> dict[str, Any]:
    from loadtest.bench import run_bench

    return {"json": str(run_bench())}


def cmd_profile(args: argparse.Namespace) -> dict[str, Any]:
    from loadtest.profile_gateway import ProfileConfig, format_profile, profile_gateway
    from loadtest.race import RESULTS_DIR

    report = profile_gateway(ProfileConfig(serializer=args.serializer, rate=args.rate,
                                           duration_s=args.duration, native=args.native),
                             Path(args.out) if args.out else RESULTS_DIR / "profiles")
    print(format_profile(report), file=sys.stderr)
    return {"load": report["load"], "raw": report["raw"]}


def cmd_instructions(args: argparse.Namespace) -> dict[str, Any]:
    from loadtest.instructions import InstructionConfig, run_instructions

    return run_instructions(InstructionConfig(
        serializer=args.serializer, rate=args.rate, duration_s=args.duration,
        citizens=args.citizens, agents=args.agents, max_chats=args.max_chats,
        workers=args.workers, gateway_args=tuple(shlex.split(args.gateway_args)),
        keep=Path(args.keep) if args.keep else None))


def cmd_price(args: argparse.Namespace) -> dict[str, Any]:
    from loadtest.price_fixes import price_fixes
    from loadtest.race import RESULTS_DIR

    out = Path(args.out) if args.out else RESULTS_DIR / "price-fixes.json"
    results = price_fixes(out, rounds=args.rounds, duration_s=args.duration)
    return {"json": str(out), "runs": [
        {key: run.get(key) for key in ("variant", "delivered_rate", "server_cpu",
                                      "server_cpu_us_per_msg", "machine_busy_cores")}
        for run in results]}


def cmd_memory(args: argparse.Namespace) -> dict[str, Any]:
    from loadtest.memory_sites import memory_sites

    return memory_sites(args.connections, args.serializer)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    chat = commands.add_parser("chat", help="citizens and agents converse at a rate")
    _common(chat)
    chat.add_argument("--citizens", type=int, default=200)
    chat.add_argument("--rate", type=float, default=2000, help="msgs/s offered; 0 = saturate")
    chat.add_argument("--window", type=int, default=4, help="in flight per side when --rate 0")
    chat.add_argument("--warmup", type=float, default=2.0)
    chat.add_argument("--duration", type=float, default=10.0)
    chat.add_argument("--text-size", type=int, default=64)
    chat.set_defaults(run=cmd_chat)

    storm = commands.add_parser("storm", help="connection storm and memory per connection")
    _common(storm)
    storm.add_argument("--connections", type=int, default=10000)
    storm.add_argument("--rate", type=float, default=1000, help="connects/s offered")
    storm.set_defaults(run=cmd_storm)

    routing = commands.add_parser("routing", help="thousands wait while agents churn")
    _common(routing)
    routing.set_defaults(max_chats=3)
    routing.add_argument("--waiting", type=int, default=2000)
    routing.add_argument("--hold", type=float, default=0.05, help="seconds an agent holds a chat")
    routing.add_argument("--shift", type=int, default=25, help="chats per agent connection")
    routing.add_argument("--limit", type=float, default=60.0, help="seconds before giving up")
    routing.set_defaults(run=cmd_routing)

    resume = commands.add_parser(
        "resume-storm", help="every client of live conversations dropped at once, resumed")
    _common(resume)
    resume.set_defaults(agents=200, max_chats=50)
    resume.add_argument("--mode", choices=["restart", "kill", "cut"], default="restart",
                        help="restart: SIGTERM and start again; kill: SIGKILL and start "
                             "again; cut: a network cut in front of the clients")
    resume.add_argument("--citizens", type=int, default=9800)
    resume.add_argument("--rate", type=float, default=0.2,
                        help="messages/s by each side of each conversation")
    resume.add_argument("--kept-share", type=float, default=0.1,
                        help="share of conversations a cut leaves alone")
    resume.add_argument("--before", type=float, default=5.0, help="seconds before the drop")
    resume.add_argument("--limit", type=float, default=60.0,
                        help="seconds the clients have to come back")
    resume.add_argument("--after", type=float, default=5.0, help="seconds after all are back")
    resume.add_argument("--cut", type=float, default=2.0,
                        help="seconds a cut refuses new connections")
    resume.add_argument("--out", help="JSON path (PNG next to it)")
    resume.set_defaults(run=cmd_resume_storm)

    sweep = commands.add_parser(
        "sweep", help="the same chat load with 1,000 to 100,000 other conversations open")
    sweep.add_argument("--sizes", default="1000,10000,100000",
                       help="open conversations at each step (gendarmerie, waiting)")
    sweep.add_argument("--rate", type=float, default=2000)
    sweep.add_argument("--duration", type=float, default=8.0)
    sweep.add_argument("--citizens", type=int, default=200)
    sweep.add_argument("--agents", type=int, default=20)
    sweep.add_argument("--max-chats", type=int, default=10)
    sweep.add_argument("--workers", type=int, default=2)
    sweep.add_argument("--serializer", choices=["json", "msgpack"], default="json")
    sweep.add_argument("--gateway-args", default="")
    sweep.add_argument("--out", help="JSON path (PNG next to it)")
    sweep.set_defaults(run=cmd_sweep)

    nodes = commands.add_parser(
        "nodes", help="the same chat load on 1, 2, 3 nodes (Redis + PostgreSQL) and on SQLite")
    nodes.add_argument("--redis-url", required=True, help="its database is flushed per run")
    nodes.add_argument("--database-url", required=True,
                       help="a PostgreSQL cluster: a database of each run's own is made")
    nodes.add_argument("--nodes", default="1,2,3")
    nodes.add_argument("--no-sqlite", action="store_true", help="skip the one-node SQLite run")
    nodes.add_argument("--repeats", type=int, default=2)
    nodes.add_argument("--rate", type=float, default=2000)
    nodes.add_argument("--duration", type=float, default=8.0)
    nodes.add_argument("--citizens", type=int, default=100)
    nodes.add_argument("--agents", type=int, default=20)
    nodes.add_argument("--max-chats", type=int, default=10)
    nodes.add_argument("--workers", type=int, default=2)
    nodes.add_argument("--out", help="JSON path (PNG next to it)")
    nodes.set_defaults(run=cmd_nodes)

    race = commands.add_parser("race", help="Node relays and gateway side by side across loads")
    race.add_argument("--servers", default="node-json,durable-json,gateway-json,"
                                           "node-msgpack,durable-msgpack,gateway-msgpack")
    race.add_argument("--rates", default="2000,5000,10000,15000,20000,0")
    race.add_argument("--duration", type=float, default=10.0)
    race.add_argument("--warmup", type=float, default=2.0)
    race.add_argument("--workers", type=int, default=2)
    race.add_argument("--citizens", type=int, default=200)
    race.add_argument("--agents", type=int, default=20)
    race.add_argument("--max-chats", type=int, default=10)
    race.add_argument("--storm", type=int, default=0, help="also a storm of N connections")
    race.add_argument("--routing", type=int, default=0, help="also a routing storm of N")
    race.add_argument("--deflate", action="store_true",
                      help="clients offer permessage-deflate; the Node relay accepts it")
    race.add_argument("--out", help="JSON path (PNG next to it)")
    race.set_defaults(run=cmd_race)

    chain = commands.add_parser("chain", help="check a durable relay log's hash chain")
    chain.add_argument("log", help="the log file (chain.log in the relay's data directory)")
    chain.set_defaults(run=cmd_chain)

    bench = commands.add_parser("bench", help="about one minute; figures to compare commits")
    bench.set_defaults(run=cmd_bench)

    profile = commands.add_parser("profile", help="py-spy profile of the gateway under load")
    profile.add_argument("--serializer", choices=["json", "msgpack"], default="json")
    profile.add_argument("--rate", type=float, default=5000)
    profile.add_argument("--duration", type=float, default=15.0)
    profile.add_argument("--out", help="directory for the raw stacks and the report")
    profile.add_argument("--native", action="store_true",
                         help="sample C frames too (uvloop, the interpreter, extensions)")
    profile.set_defaults(run=cmd_profile)

    counted = commands.add_parser("instructions",
                                  help="callgrind: gateway instructions per relayed message")
    counted.add_argument("--serializer", choices=["json", "msgpack"], default="json")
    counted.add_argument("--rate", type=float, default=20)
    counted.add_argument("--duration", type=float, default=30.0)
    counted.add_argument("--workers", type=int, default=1)
    counted.add_argument("--citizens", type=int, default=20)
    counted.add_argument("--agents", type=int, default=2)
    counted.add_argument("--max-chats", type=int, default=10)
    counted.add_argument("--gateway-args", default="")
    counted.add_argument("--keep", help="directory that keeps the callgrind dump")
    counted.set_defaults(run=cmd_instructions)

    price = commands.add_parser("price", help="gateway with and without candidate fixes")
    price.add_argument("--rounds", type=int, default=2)
    price.add_argument("--duration", type=float, default=8.0)
    price.add_argument("--out", help="JSON path")
    price.set_defaults(run=cmd_price)

    memory = commands.add_parser("memory", help="gateway allocation sites per idle connection")
    memory.add_argument("--connections", type=int, default=2000)
    memory.add_argument("--serializer", choices=["json", "msgpack"], default="json")
    memory.set_defaults(run=cmd_memory)
    return parser


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    """Turn SIGTERM into SystemExit so every started server is stopped on the way out."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    raise_fd_limit()
    args = build_parser().parse_args(argv)
    result = args.run(args)
    print(json.dumps(result, indent=1, default=list))
    return 0 if not result.get("failures") else 1


if __name__ == "__main__":
    sys.exit(main())
