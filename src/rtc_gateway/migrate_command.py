"""``rtc-gateway migrate``: bring a PostgreSQL database to the schema this gateway runs.

Nodes also migrate on start (under the same advisory lock), so this command is for
operators who prefer to change the schema as a deliberate step before a rollout.
Exit status: 0 migrated (or already current), 1 the database is unreachable or newer
than this gateway, 2 a usage error (argparse's own, or a URL that is not PostgreSQL's).
"""

import argparse
import asyncio
import os
import sys
from typing import Any

import asyncpg

from rtc_gateway.adapters.postgres.schema import SchemaTooNew, migrate
from rtc_gateway.config import ENV_PREFIX

CONNECT_TIMEOUT_S = 10.0
_UNREACHABLE = (OSError, TimeoutError, asyncpg.PostgresError,
                asyncpg.InterfaceError)


def add_migrate_command(commands: "argparse._SubParsersAction[Any]") -> None:
    command = commands.add_parser(
        "migrate", help="apply the PostgreSQL schema (several nodes); safe to run twice")
    command.add_argument(
        "--database-url", default=os.environ.get(ENV_PREFIX + "DATABASE_URL") or None,
        help="postgresql://... (default: RTC_GATEWAY_DATABASE_URL)")
    command.set_defaults(handler=run_migrate)


def run_migrate(args: argparse.Namespace) -> int:
    url = args.database_url
    if not url:
        print("rtc-gateway migrate: error: --database-url (or RTC_GATEWAY_DATABASE_URL)"
              " is required", file=sys.stderr)
        return 2
    if not url.startswith(("postgresql://", "postgres://")):
        print("rtc-gateway migrate: error: --database-url must be a postgresql:// URL",
              file=sys.stderr)
        return 2
    try:
        version = asyncio.run(_migrate(url))
    except ValueError:
        print("rtc-gateway migrate: error: --database-url is not a valid PostgreSQL URL",
              file=sys.stderr)
        return 2
    except SchemaTooNew as error:
        print(f"rtc-gateway migrate: {error}", file=sys.stderr)
        return 1
    except _UNREACHABLE as error:
        print(f"rtc-gateway migrate: the database is unreachable"
              f" ({type(error).__name__}: {_reason(error)})", file=sys.stderr)
        return 1
    print(f"database schema at version {version}")
    return 0


async def _migrate(url: str) -> int:
    connection = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT_S)
    try:
        return await migrate(connection)
    finally:
        await connection.close(timeout=5)


def _reason(error: BaseException) -> str:
    """The driver's message, which names host and port but never the password."""
    return str(error).splitlines()[0] if str(error) else "no answer"
