"""What every ``rtc-gateway`` sub-command shares: errors and their exit codes, the data
directory default, argument types.

Exit codes: 0 done; 1 the command ran and failed (a bundle that does not verify, a port
already in use); 2 the command cannot run as asked (bad arguments, an unknown
conversation, no evidence log in the data directory).
"""

import argparse
from pathlib import Path
from typing import Any

from rtc_gateway.config import Settings, from_environment

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


def data_dir_of(args: argparse.Namespace) -> Path:
    """``--data-dir``, else ``RTC_GATEWAY_DATA_DIR``, else ``./data``: the same as ``serve``."""
    return settings_of(data_dir=args.data_dir).data_dir


def add_data_dir(parser: argparse.ArgumentParser, what: str = "the evidence log and keys") -> None:
    parser.add_argument(
        "--data-dir", type=Path, metavar="DIR",
        help=f"directory of {what} (default: $RTC_GATEWAY_DATA_DIR, else ./data)")


def existing_log(data_dir: Path) -> Path:
    """The data directory, once it is known to hold an evidence log (else a usage error):
    a read command must never create an empty log in a mistyped directory."""
    if not (data_dir / "evidence.db").is_file():
        raise CommandError(
            f"no evidence log in {data_dir} (no evidence.db there): pass the gateway's"
            " --data-dir")
    return data_dir


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
