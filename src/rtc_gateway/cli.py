"""The ``rtc-gateway`` command line: serve, mint tokens, and the evidence tools."""

import argparse
import sys
from collections.abc import Sequence

from rtc_gateway import __version__
from rtc_gateway.cli_support import (
    EXIT_FAILED,
    CommandError,
    add_data_dir,
    non_negative,
    port_number,
    positive_int,
    settings_of,
    tool_settings,
)
from rtc_gateway.cli_wiring import EvidenceLogs, purge_pre_complaints, shared_store_call
from rtc_gateway.directory_import import add_data_commands
from rtc_gateway.domain.agent import AgentProfile
from rtc_gateway.domain.errors import BadRequest, Unauthorized
from rtc_gateway.domain.forces import Force
from rtc_gateway.domain.roles import STAFF_ROLES, Role
from rtc_gateway.domain.units import force_of_unit
from rtc_gateway.evidence.commands import (
    add_database_url,
    add_evidence_commands,
    database_url_of,
)
from rtc_gateway.evidence.conversation_commands import add_conversation_commands
from rtc_gateway.logs import configure_logging
from rtc_gateway.migrate_command import add_migrate_command
from rtc_gateway.ports.clock import SystemClock
from rtc_gateway.ports.evidence_log import EvidenceLogInUse
from rtc_gateway.purge_command import add_purge_command
from rtc_gateway.security.keys import load_or_create_private_key
from rtc_gateway.security.revoke import revoke_staff, revoke_token
from rtc_gateway.security.token_keys import load_token_keys, rotate_token_key
from rtc_gateway.security.tokens import TokenAuthority


def _csv(value: str) -> frozenset[str]:
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def cmd_serve(args: argparse.Namespace) -> int:
    from rtc_gateway.serve import CannotListen, run
    from rtc_gateway.shared_services import StartupRefused

    settings = settings_of(host=args.host, port=args.port, data_dir=args.data_dir,
                           serializer=args.serializer, evidence=args.evidence,
                           redis_url=args.redis_url, database_url=args.database_url,
                           standby=args.standby or None)
    try:
        configure_logging(settings.log_level)
    except ValueError as error:
        raise CommandError(
            f"configuration: RTC_GATEWAY_LOG_LEVEL {settings.log_level!r} is not a level"
            " (DEBUG, INFO, WARNING, ERROR)") from error
    try:
        run(settings)
    except (CannotListen, EvidenceLogInUse, StartupRefused) as error:
        raise CommandError(str(error), EXIT_FAILED) from error
    return 0


def cmd_token_agent(args: argparse.Namespace) -> int:
    if args.unit is not None and force_of_unit(args.unit).value != args.service:
        raise CommandError(f"unit {args.unit} is not a unit of the {args.service}")
    settings = tool_settings(args.data_dir)
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
        unit=args.unit,
    )
    print(authority.mint_agent(profile, args.ttl_hours * 3600).token)
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from rtc_gateway.app import revocation_store

    settings = tool_settings(args.data_dir)
    store = revocation_store(settings, database_url_of(args))
    if args.id is not None:
        print(shared_store_call(revoke_staff(store, args.id, SystemClock().now())))
        return 0
    if not settings.token_key_path.exists():
        raise CommandError(f"no token signing key in {settings.token_key_path.parent}")
    keys = load_token_keys(settings.token_key_path)
    authority = TokenAuthority(keys.signing, SystemClock(), settings.citizen_token_ttl_s,
                               previous_key=keys.previous)
    try:
        print(shared_store_call(revoke_token(store, authority, args.token)))
    except Unauthorized as error:
        raise CommandError(
            f"not a staff token of this data directory: {error.message}") from None
    return 0


def cmd_token_rotate_key(args: argparse.Namespace) -> int:
    settings = tool_settings(args.data_dir)
    if not settings.token_key_path.exists():
        raise CommandError(f"no token signing key in {settings.token_key_path.parent}")
    rotate_token_key(settings.token_key_path, keep_previous=not args.drop_previous)
    kept = ("no earlier token is accepted any more" if args.drop_previous else
            "tokens signed with the previous key stay valid until they expire")
    print(f"new token signing key in {settings.token_key_path}; {kept}; running nodes"
          f" sharing {settings.token_key_path.parent} take it within"
          f" {settings.key_reload_interval_s:g} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rtc-gateway",
        description="Citizen-to-police chat and video gateway, and its evidence tools.")
    parser.add_argument("--version", action="version", version=f"rtc-gateway {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the gateway on the embedded defaults")
    add_data_dir(serve, "the evidence log, keys and recordings")
    serve.add_argument("--host", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=port_number, help="port to listen on (8080)")
    serve.add_argument("--serializer", choices=["json", "msgpack"])
    serve.add_argument("--evidence", choices=["sqlite", "memory"],
                       help="memory keeps no evidence: benchmarks of the relay alone")
    serve.add_argument("--redis-url", help="redis://... shared by the nodes (with --database-url)")
    serve.add_argument("--database-url",
                       help="postgresql://... holding the evidence log (with --redis-url)")
    serve.add_argument("--standby", action="store_true", default=None,
                       help="with another node live, wait as its hot standby instead of"
                            " exiting (RTC_GATEWAY_STANDBY)")
    serve.set_defaults(handler=cmd_serve)

    token = commands.add_parser("token", help="mint and revoke tokens")
    token_kinds = token.add_subparsers(dest="kind", required=True)
    agent = token_kinds.add_parser("agent", help="print a signed agent token on stdout")
    add_data_dir(agent, "the token signing key, as given to serve")
    agent.add_argument("--id", required=True)
    agent.add_argument("--name", required=True)
    agent.add_argument("--service", required=True, choices=[f.value for f in Force])
    agent.add_argument("--topics", default="", help="comma-separated; empty means all")
    agent.add_argument("--languages", default="fr", help="comma-separated (fr)")
    agent.add_argument("--max-chats", type=positive_int, default=3)
    agent.add_argument("--role", default="agent", choices=[r.value for r in STAFF_ROLES])
    agent.add_argument("--unit", type=_unit_id, default=None,
                       help="unit id (police-..., gendarmerie-...): narrows the cases seen")
    agent.add_argument("--ttl-hours", type=_positive_hours, default=12.0)
    agent.set_defaults(handler=cmd_token_agent)
    revoke = token_kinds.add_parser(
        "revoke", help="revoke staff tokens; running gateways apply it within seconds")
    add_data_dir(revoke, "the gateway whose tokens are revoked")
    add_database_url(revoke)
    which = revoke.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", help="staff id: every token of it issued before now")
    which.add_argument("--token", help="one staff token (by its id)")
    revoke.set_defaults(handler=cmd_token_revoke)
    rotate = token_kinds.add_parser(
        "rotate-key", help="sign tokens with a new key; running nodes take it within seconds")
    add_data_dir(rotate, "the token signing key (RTC_GATEWAY_KEYS_DIR moves it)")
    rotate.add_argument("--drop-previous", action="store_true",
                        help="also stop accepting tokens of the replaced key (a leaked key)")
    rotate.set_defaults(handler=cmd_token_rotate_key)

    logs = EvidenceLogs()
    add_evidence_commands(commands, logs)
    add_conversation_commands(commands, logs)
    add_migrate_command(commands)
    add_purge_command(commands, logs, purge_pre_complaints)
    add_data_commands(commands)
    return parser


def _unit_id(value: str) -> str:
    try:
        force_of_unit(value)
    except BadRequest as error:
        raise argparse.ArgumentTypeError(error.message) from None
    return value


def _positive_hours(value: str) -> float:
    hours = non_negative(value)
    if hours == 0:
        raise argparse.ArgumentTypeError("a token must last more than 0 hours")
    return hours


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; errors are one line on stderr and an exit code, never a
    traceback (usage errors exit 2, see ``cli_support``)."""
    args = build_parser().parse_args(argv)
    try:
        result: int = args.handler(args)
    except CommandError as error:
        print(f"rtc-gateway {args.command}: {error}", file=sys.stderr)
        return error.exit_code
    except OSError as error:
        where = f": {error.filename}" if error.filename else ""
        print(f"rtc-gateway {args.command}: {error.strerror or error}{where}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
