"""The ``rtc-gateway`` command line: serve, mint tokens, and the evidence tools."""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from rtc_gateway.config import from_environment
from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import STAFF_ROLES, Role
from rtc_gateway.evidence.commands import add_evidence_commands
from rtc_gateway.logs import configure_logging
from rtc_gateway.migrate_command import add_migrate_command
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.security.keys import load_or_create_private_key
from rtc_gateway.security.tokens import TokenAuthority


def _csv(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def cmd_serve(args: argparse.Namespace) -> int:
    from rtc_gateway.serve import run
    from rtc_gateway.shared_services import StartupRefused

    try:
        settings = from_environment(host=args.host, port=args.port, data_dir=args.data_dir,
                                    serializer=args.serializer, evidence=args.evidence,
                                    redis_url=args.redis_url, database_url=args.database_url)
    except ValueError as error:
        print(f"rtc-gateway serve: error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        run(settings)
    except StartupRefused as error:
        print(f"rtc-gateway serve: {error}", file=sys.stderr)
        return 1
    return 0


def cmd_token_agent(args: argparse.Namespace) -> int:
    settings = from_environment(data_dir=args.data_dir)
    key = load_or_create_private_key(settings.token_key_path)
    authority = TokenAuthority(key, SystemClock(), settings.citizen_token_ttl_s)
    profile = AgentProfile(
        agent_id=args.id,
        display_name=args.name,
        service=Force(args.service),
        role=Role(args.role),
        topics=_csv(args.topics),
        languages=_csv(args.languages),
        max_chats=args.max_chats,
    )
    print(authority.mint_agent(profile, args.ttl_hours * 3600).token)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rtc-gateway",
        description="Citizen-to-police chat and video gateway, and its evidence tools.")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the gateway on the embedded defaults")
    serve.add_argument("--data-dir", type=Path,
                       help="where the evidence log and keys live (./data)")
    serve.add_argument("--host", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on (8080)")
    serve.add_argument("--serializer", choices=["json", "msgpack"])
    serve.add_argument("--evidence", choices=["sqlite", "memory"],
                       help="memory keeps no evidence: benchmarks of the relay alone")
    serve.add_argument("--redis-url", help="redis://... shared by the nodes (with --database-url)")
    serve.add_argument("--database-url",
                       help="postgresql://... holding the evidence log (with --redis-url)")
    serve.set_defaults(handler=cmd_serve)

    token = commands.add_parser("token", help="mint tokens")
    token_kinds = token.add_subparsers(dest="kind", required=True)
    agent = token_kinds.add_parser("agent", help="print a signed agent token on stdout")
    agent.add_argument("--data-dir", type=Path,
                       help="data directory holding the signing key (./data)")
    agent.add_argument("--id", required=True)
    agent.add_argument("--name", required=True)
    agent.add_argument("--service", required=True, choices=[f.value for f in Force])
    agent.add_argument("--topics", default="", help="comma-separated; empty means all")
    agent.add_argument("--languages", default="fr", help="comma-separated (fr)")
    agent.add_argument("--max-chats", type=int, default=3)
    agent.add_argument("--role", default="agent", choices=[r.value for r in STAFF_ROLES])
    agent.add_argument("--ttl-hours", type=float, default=12.0)
    agent.set_defaults(handler=cmd_token_agent)

    add_evidence_commands(commands)
    add_migrate_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.handler(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
