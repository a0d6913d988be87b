"""The evidence subcommands as a stand-alone program, for tests in a separate process."""

import argparse
import sys

from rtc_gateway.evidence.commands import add_evidence_commands


def main() -> int:
    parser = argparse.ArgumentParser(prog="rtc-gateway")
    add_evidence_commands(parser.add_subparsers(required=True))
    args = parser.parse_args()
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())
