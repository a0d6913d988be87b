"""What every ``rtc-gateway`` sub-command shares: errors and their exit codes, the data
directory default, argument types.

Exit codes: 0 done; 1 the command ran and failed (a bundle that does not verify, a port
already in use); 2 the command cannot run as asked (bad arguments, an unknown
conversation, no evidence log in the data directory).
"""

import argparse
import os
from pathlib import Path
from typing import Any

from rtc_gateway.config import ENV_PREFIX, Settings, from_environment

EXIT_FAILED = 1
EXIT_USAGE = 2


class CommandError(Exception):
    """A sub-command stops with this message on stderr and ``exit_code``."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def settings_of(**overrides: Any) -> Settings:
    """Defaults, ``RTC_GATEWAY_*`` variables, then flags; a bad variable is a usage error."""
    try:
        return from_environment(**overrides)
    except ValueError as error:
        raise CommandError(f"configuration: {error}") from error


def tool_settings(data_dir: Path | None) -> Settings:
    """The settings of a command other than ``serve``: the data and key directories as
    ``serve`` finds them; the shared services' URLs are left out (a command takes
    ``--database-url`` itself, and needs no Redis)."""
    environ = {name: value for name, value in os.environ.items()
               if name not in (ENV_PREFIX + "REDIS_URL", ENV_PREFIX + "DATABASE_URL")}
    try:
        return from_environment(environ, data_dir=data_dir)
    except ValueError as error:
        raise CommandError(f"configuration: {error}") from error


def add_data_dir(parser: argparse.ArgumentParser, what: str = "the evidence log and keys") -> None:
    parser.add_argument(
        "--data-dir", type=Path, metavar="DIR",
        help=f"directory of {what} (default: $RTC_GATEWAY_DATA_DIR, else ./data)")


def non_negative(value: str) -> float:
    """An argparse type: a number >= 0."""
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number >= 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"{value} must be a number of 0 or more")
    return number


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value} must be 1 or more")
    return number


def port_number(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0 to 65535)")
    return number


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """``1 message``, ``2 messages``."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"
